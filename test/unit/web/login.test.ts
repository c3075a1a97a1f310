import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus } from "../../../agent/events.js";
import { WebService } from "../../../agent/web/web-service.js";
import { webSchema } from "../../../config/web.js";
import { simConfig } from "../../helpers/bench-config.js";

const VIEWER = "a-viewer-token-for-the-login-test";
const tokenFile = join(mkdtempSync(join(tmpdir(), "web-login-")), "viewer");
writeFileSync(tokenFile, `${VIEWER}\n`);

describe("logging in to the web view where anonymous visitors get nothing", () => {
  const logger = pino({ level: "silent" });
  const config = simConfig();
  const requests: string[] = [];
  const web = new WebService({
    settings: webSchema.parse({
      enabled: true,
      port: 0,
      anonymousRole: "none",
      tokens: [{ role: "viewer", tokenFile }],
    }),
    bus: new EventBus(logger),
    current: () => config,
    backend: () => "sim",
    request: async (verb) => {
      requests.push(verb);
      return { transaction: "t", status: "ok" };
    },
    logger,
  });
  beforeAll(() => web.start());
  afterAll(() => web.stop());

  it("serves the page's code but no data or command without a token", async () => {
    const url = web.url!;
    expect((await fetch(url)).status).toBe(200);
    const session = await fetch(`${url}api/session`);
    expect(session.status).toBe(401);
    expect(await session.json()).toEqual({
      error: 401,
      message: "a token is needed: open /login?token=<token>",
    });
    expect((await fetch(`${url}events`)).status).toBe(401);
    const command = await fetch(`${url}api/command/alarm/ack`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(command.status).toBe(401);
    expect(requests).toEqual([]);
  });

  it("keeps a known token in a cookie that gives its role; an unknown one gets no cookie", async () => {
    const url = web.url!;
    const wrong = await fetch(`${url}login?token=guess-guess-guess-guess`, { redirect: "manual" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const login = await fetch(`${url}login?token=${VIEWER}`, { redirect: "manual" });
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/");
    const cookie = login.headers.get("set-cookie")!;
    expect(cookie).toContain("HttpOnly; SameSite=Strict");
    const session = await fetch(`${url}api/session`, { headers: { cookie: cookie.split(";")[0]! } });
    expect(await session.json()).toEqual({ role: "viewer" });
    const command = await fetch(`${url}api/command/alarm/ack`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: cookie.split(";")[0]! },
      body: JSON.stringify({ name: "x" }),
    });
    expect(command.status).toBe(403);
    expect(requests).toEqual([]);
  });
});
