/**
 * Who is looking at the web view, and whether they may command. A visitor is an `operator` or a
 * `viewer` by a token (`Authorization: Bearer …`, or the cookie `/login?token=…` sets), or, on a
 * loopback address only, by `web.anonymousRole`. Two browser attacks are closed off here:
 *  - DNS rebinding: a page of another site whose name resolves to 127.0.0.1 reaches the agent
 *    with a foreign `Host`; such a request gets no anonymous role;
 *  - cross-site requests: a command must come from the page itself (`Origin` the same as `Host`)
 *    with a JSON body, which a form on another site cannot send.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { LOOPBACK_HOSTS, type WebConfig, type WebRole } from "../../config/web.js";
import { readSecretLine } from "../secrets.js";

export const COOKIE = "photon_bench_web";
/** Shorter tokens are refused at start: they could be guessed. */
const MIN_TOKEN_CHARS = 16;

const digest = (token: string) => createHash("sha256").update(token).digest();

export class WebAuth {
  private constructor(
    private readonly tokens: ReadonlyArray<{ role: WebRole; digest: Buffer }>,
    private readonly anonymous: WebRole | undefined,
  ) {}

  /** Reads the token files; throws saying which one is missing or too short. */
  static load(settings: WebConfig): WebAuth {
    const tokens = settings.tokens.map(({ role, tokenFile }, i) => {
      const where = `web.tokens[${i}].tokenFile`;
      const token = readSecretLine(where, tokenFile);
      if (token.length < MIN_TOKEN_CHARS)
        throw new Error(`${where} ${tokenFile}: a token needs at least ${MIN_TOKEN_CHARS} characters`);
      return { role, digest: digest(token) };
    });
    const loopback = LOOPBACK_HOSTS.has(settings.host);
    const anonymous = loopback && settings.anonymousRole !== "none" ? settings.anonymousRole : undefined;
    return new WebAuth(tokens, anonymous);
  }

  /** The role a token gives, or undefined for none (compared in constant time). */
  roleOfToken(token: string | undefined): WebRole | undefined {
    if (!token) return undefined;
    const given = digest(token);
    let role: WebRole | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, given)) role = t.role;
    return role;
  }

  /** The visitor's role: a token first; without one, the anonymous role if the Host is this machine. */
  roleOf(req: IncomingMessage): WebRole | undefined {
    const token = bearer(req) ?? cookie(req, COOKIE);
    if (token !== undefined) return this.roleOfToken(token);
    return this.anonymous && LOOPBACK_HOSTS.has(hostName(req.headers.host)) ? this.anonymous : undefined;
  }
}

/** A command comes from our own page: `Origin`, when the browser sends one, names the same host. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The Set-Cookie value that keeps `token` for this page (not readable by scripts, not sent cross-site). */
export function tokenCookie(token: string): string {
  return `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : undefined;
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) {
      try {
        return decodeURIComponent(v.join("="));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** `127.0.0.1:8080` → `127.0.0.1`; `[::1]:8080` → `::1`. */
export function hostName(host: string | undefined): string {
  if (!host) return "";
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  return host.split(":")[0]!;
}
