/** The webhook notifier against a real HTTP server: retried on 503, given up on 400, delivered once. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { NotificationPayload } from "../../../agent/operations/types.js";
import { WebhookNotifier } from "../../../agent/operations/webhook.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(statuses: number[]): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      bodies.push(JSON.parse(body));
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/hook?token=secret`, bodies };
}

const note: NotificationPayload = {
  ts: "2026-12-02T10:00:00.000Z",
  kind: "page",
  benchId: "b1",
  incident: "20261202-100000-1",
  title: "b1: page — instrument-compressor",
  text: "runbook cryostat-recovery failed",
};

describe("webhook notifier", () => {
  it("retries a 503 and a 429, then delivers once", async () => {
    const { url, bodies } = await serve([503, 429, 200]);
    const hook = new WebhookNotifier(
      { url, retries: 5, timeoutMs: 2000, firstRetryMs: 10 },
      pino({ level: "silent" }),
    );
    hook.send(note);
    await hook.close();
    expect(bodies).toEqual([note, note, note]);
    expect(hook.counts).toEqual({ webhookSent: 1, webhookRetries: 2, webhookFailed: 0 });
  });

  it("gives up at once on a 400 (retrying would not help), and after its retries on a dead server", async () => {
    const { url, bodies } = await serve([400]);
    const hook = new WebhookNotifier(
      { url, retries: 5, timeoutMs: 2000, firstRetryMs: 10 },
      pino({ level: "silent" }),
    );
    hook.send(note);
    await hook.close();
    expect(bodies).toHaveLength(1);
    expect(hook.counts).toEqual({ webhookSent: 0, webhookRetries: 0, webhookFailed: 1 });
    const dead = new WebhookNotifier(
      { url: "http://127.0.0.1:9/hook", retries: 2, timeoutMs: 500, firstRetryMs: 10 },
      pino({ level: "silent" }),
    );
    dead.send(note);
    await dead.close();
    expect(dead.counts).toEqual({ webhookSent: 0, webhookRetries: 2, webhookFailed: 1 });
  });
});
