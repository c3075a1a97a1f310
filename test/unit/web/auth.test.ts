import { mkdtempSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COOKIE, sameOrigin, WebAuth } from "../../../agent/web/auth.js";
import { webSchema } from "../../../config/web.js";

const dir = mkdtempSync(join(tmpdir(), "web-auth-"));
const tokenFile = (name: string, token: string) => {
  const file = join(dir, name);
  writeFileSync(file, `${token}\n`);
  return file;
};
const OPERATOR = "operator-token-0123456789";
const VIEWER = "viewer-token-0123456789ab";
const tokens = [
  { role: "operator", tokenFile: tokenFile("op", OPERATOR) },
  { role: "viewer", tokenFile: tokenFile("view", VIEWER) },
];
const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("who may use the web view", () => {
  it("on loopback: the anonymous role for this machine's own names only, a token over it", () => {
    const auth = WebAuth.load(webSchema.parse({ anonymousRole: "viewer", tokens }));
    expect(auth.roleOf(request({ host: "127.0.0.1:8080" }))).toBe("viewer");
    expect(auth.roleOf(request({ host: "localhost:8080" }))).toBe("viewer");
    expect(auth.roleOf(request({ host: "[::1]:8080" }))).toBe("viewer");
    // DNS rebinding: another site's name pointed at 127.0.0.1 gets nothing without a token.
    expect(auth.roleOf(request({ host: "evil.example:8080" }))).toBeUndefined();
    expect(auth.roleOf(request({ host: "evil.example", authorization: `Bearer ${OPERATOR}` }))).toBe(
      "operator",
    );
    expect(auth.roleOf(request({ host: "127.0.0.1", cookie: `a=b; ${COOKIE}=${VIEWER}` }))).toBe("viewer");
    // A wrong token is no role, not the anonymous one.
    expect(
      auth.roleOf(request({ host: "127.0.0.1", authorization: "Bearer not-a-token-at-all" })),
    ).toBeUndefined();
  });

  it("on another address: a token or nothing, and no start without tokens", () => {
    const open = WebAuth.load(webSchema.parse({ host: "0.0.0.0", anonymousRole: "operator", tokens }));
    expect(open.roleOf(request({ host: "127.0.0.1:8080" }))).toBeUndefined();
    expect(open.roleOf(request({ host: "bench-7:8080", authorization: `Bearer ${VIEWER}` }))).toBe("viewer");
    const refused = webSchema.safeParse({ host: "0.0.0.0" });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({
      path: ["host"],
      message: "the web view listens beyond this machine only with tokens (web.tokens)",
    });
  });

  it("refuses a missing or short token file at start, saying which", () => {
    expect(() =>
      WebAuth.load(webSchema.parse({ tokens: [{ role: "viewer", tokenFile: join(dir, "none") }] })),
    ).toThrow(`web.tokens[0].tokenFile ${join(dir, "none")}: ENOENT`);
    const short = tokenFile("short", "abc");
    expect(() => WebAuth.load(webSchema.parse({ tokens: [{ role: "viewer", tokenFile: short }] }))).toThrow(
      "a token needs at least 16 characters",
    );
  });

  it("takes a command only from the page itself", () => {
    expect(sameOrigin(request({ host: "127.0.0.1:8080" }))).toBe(true);
    expect(sameOrigin(request({ host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080" }))).toBe(true);
    expect(sameOrigin(request({ host: "127.0.0.1:8080", origin: "https://attacker.example" }))).toBe(false);
    expect(sameOrigin(request({ host: "127.0.0.1:8080", origin: "null" }))).toBe(false);
  });
});
