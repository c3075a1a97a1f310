/**
 * The live web view (`web:` in the bench file), over HTTP on 127.0.0.1:8080 by default:
 *  - `GET /`: the page (agent/web/public/, plain ES modules, no build step) and uPlot from the
 *    agent's own node_modules: nothing is fetched from the internet;
 *  - `GET /api/session`: the visitor's role (`operator` or `viewer`), or 401 with how to log in;
 *  - `GET /events`: Server-Sent Events, a snapshot then updates (agent/web/sse-hub.ts);
 *  - `POST /api/command/<verb>`: an operator's button, sent through the control plane like any
 *    request (audited as `web:operator`, interlocks and limits checked there); only the verbs in
 *    WEB_VERBS;
 *  - `GET /api/recording/manifest`: the last lines of the recording's manifest;
 *  - `GET /login?token=…`: keeps the token in a cookie and goes to the page.
 * It cannot listen (the port is taken): logged as an error, and the agent runs on without it —
 * the bench's safety and data never wait on a web page.
 */
import { randomUUID } from "node:crypto";
import { open } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { BenchConfig } from "../../config/schema.js";
import type { WebConfig, WebRole } from "../../config/web.js";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { Response } from "../control/protocol.js";
import type { EventBus } from "../events.js";
import { MANIFEST } from "../recording/recorder.js";
import type { Service } from "../service.js";
import { sameOrigin, tokenCookie, WebAuth } from "./auth.js";
import { LiveFeed } from "./live-feed.js";
import { WEB_VERBS } from "./setup.js";
import { SseHub } from "./sse-hub.js";
import { loadAssets, type StaticAsset } from "./static-assets.js";

/** A command's body at most, bytes. */
const MAX_BODY_BYTES = 16 * 1024;
/** The manifest's tail the page shows. */
const MANIFEST_LINES = 20;
const MANIFEST_TAIL_BYTES = 64 * 1024;

export interface WebDeps {
  settings: WebConfig;
  bus: EventBus;
  current: () => BenchConfig;
  backend: () => string;
  /** The control plane: `request(verb, payload, via)` (never rejects). */
  request: (verb: string, payload: Buffer, via: string) => Promise<Response>;
  logger: Logger;
}

export class WebService implements Service {
  readonly name = "web";
  private server: Server | undefined;
  private readonly feed: LiveFeed;
  private readonly hub: SseHub;
  private readonly auth: WebAuth;
  private assets = new Map<string, StaticAsset>();
  private readonly counts = { refused: 0, commands: 0 };

  constructor(private readonly deps: WebDeps) {
    this.auth = WebAuth.load(deps.settings);
    this.feed = new LiveFeed(deps);
    this.hub = new SseHub(this.feed, deps.settings.updateHz, deps.logger);
  }

  /** The page's address while it is served. */
  get url(): string | undefined {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) return undefined;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}/`;
  }

  async start(): Promise<void> {
    this.assets = await loadAssets();
    const { host, port } = this.deps.settings;
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.deps.logger.error({ err: (err as Error).message, url: req.url }, "web: request failed");
        if (!res.headersSent) send(res, 500, { error: "internal", message: (err as Error).message });
        else res.end();
      });
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once("error", (err) => {
        this.deps.logger.error(
          { host, port, err: err.message },
          `web: cannot listen on ${host}:${port}; the agent runs on without its web page (set web.port)`,
        );
        resolve(false);
      });
      server.listen(port, host, () => resolve(true));
    });
    if (!listening) return;
    this.server = server;
    this.hub.start();
    this.deps.logger.info({ url: this.url }, "web view served");
  }

  async stop(): Promise<void> {
    this.hub.stop();
    this.feed.close();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
  }

  health(): TelemetryValues {
    return {
      webServing: this.server !== undefined,
      webPagesOpen: this.hub.open,
      webFramesSent: this.hub.counts.framesSent,
      webFramesSkipped: this.hub.counts.framesSkipped,
      webResyncs: this.hub.counts.resyncs,
      webPagesRefused: this.hub.counts.pagesRefused,
      webRequestsRefused: this.counts.refused,
      webCommands: this.counts.commands,
      webValuesForgotten: this.feed.counts.keysDropped,
      webSeriesRefused: this.feed.counts.seriesRefused,
    };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const asset = this.assets.get(path === "/" ? "/index.html" : path);
    if (req.method === "GET" && path === "/login") return this.login(url, res);
    // The page's code holds no bench data: served to anyone, who then needs a role for the rest.
    if (req.method === "GET" && asset) return serveAsset(res, asset);
    const role = this.auth.roleOf(req);
    if (!role) return this.refuse(res, 401, "a token is needed: open /login?token=<token>");
    if (req.method === "GET" && path === "/api/session") return send(res, 200, { role });
    if (req.method === "GET" && path === "/events") {
      if (!this.hub.add(res, role)) this.refuse(res, 503, "too many pages open");
      return;
    }
    if (req.method === "GET" && path === "/api/recording/manifest") return this.manifest(res);
    if (path.startsWith("/api/command/")) {
      if (req.method !== "POST") return this.refuse(res, 405, "commands are POST");
      return this.command(req, res, role, path.slice("/api/command/".length));
    }
    return this.refuse(res, 404, `no ${path}`);
  }

  private login(url: URL, res: ServerResponse): void {
    const token = url.searchParams.get("token") ?? "";
    if (!this.auth.roleOfToken(token)) {
      this.refuse(res, 401, "that token is not known");
      return;
    }
    res
      .writeHead(303, { location: "/", "set-cookie": tokenCookie(token), "cache-control": "no-store" })
      .end();
  }

  private async command(
    req: IncomingMessage,
    res: ServerResponse,
    role: WebRole,
    verb: string,
  ): Promise<void> {
    if (role !== "operator") return this.refuse(res, 403, "only an operator may command the bench");
    if (!sameOrigin(req)) return this.refuse(res, 403, "a command must come from this page");
    if (!(req.headers["content-type"] ?? "").startsWith("application/json"))
      return this.refuse(res, 415, "a command's body is JSON (content-type: application/json)");
    if (!(WEB_VERBS as readonly string[]).includes(verb))
      return this.refuse(res, 404, `the page sends no verb "${verb}" (it sends ${WEB_VERBS.join(", ")})`);
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined)
      return this.refuse(res, 413, `a command's body is at most ${MAX_BODY_BYTES} bytes`);
    let args: unknown;
    try {
      args = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
    } catch (err) {
      return this.refuse(res, 400, `the body is not JSON: ${(err as Error).message}`);
    }
    if (typeof args !== "object" || args === null || Array.isArray(args))
      return this.refuse(res, 400, "the body is a JSON object of the verb's arguments");
    this.counts.commands++;
    const payload = Buffer.from(JSON.stringify({ ...args, transaction: `web-${randomUUID()}` }));
    const answer = await this.deps.request(verb, payload, `web:${role}`);
    send(res, answer.status === "ok" ? 200 : 422, answer);
  }

  private async manifest(res: ServerResponse): Promise<void> {
    const { dir } = this.deps.current().recording;
    let text = "";
    try {
      const file = await open(join(dir, MANIFEST), "r");
      try {
        const { size } = await file.stat();
        const from = Math.max(0, size - MANIFEST_TAIL_BYTES);
        const { buffer, bytesRead } = await file.read(Buffer.alloc(size - from), 0, size - from, from);
        text = buffer.subarray(0, bytesRead).toString("utf8");
      } finally {
        await file.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    const entries = lines.slice(-MANIFEST_LINES).flatMap((l) => {
      try {
        return [JSON.parse(l) as unknown];
      } catch {
        return []; // the first line of the tail may be cut in two
      }
    });
    send(res, 200, { dir, entries });
  }

  private refuse(res: ServerResponse, status: number, message: string): void {
    this.counts.refused++;
    send(res, status, { error: status, message });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

function serveAsset(res: ServerResponse, asset: StaticAsset): void {
  res
    .writeHead(200, {
      "content-type": asset.type,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "content-security-policy":
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
    })
    .end(asset.body);
}

/** The body, or undefined when it is longer than `limit`. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
