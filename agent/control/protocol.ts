/**
 * The request/response envelope on `request/<verb>` → `response/<verb>`:
 *
 *   request:  {"transaction": "t-42", ...the verb's arguments}
 *   response: {"transaction": "t-42", "status": "ok", "data": {...}}
 *             {"transaction": "t-42", "status": "error", "error": {"code", "message", "path"?}}
 *
 * `transaction` is the caller's id (1–128 printable characters): a repeat within ten minutes is
 * answered with the first answer and not executed again. Everything else in the object is the
 * verb's arguments, checked by its schema (./verbs.ts).
 */
import type { z } from "zod";

/** Largest request accepted, bytes: a whole bench document fits many times over. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type ErrorCode =
  | "bad-json"
  | "too-large"
  | "unknown-verb"
  | "invalid"
  | "disabled"
  | "busy"
  | "interlock"
  | "limit"
  | "limit-loosened"
  | "conflict"
  | "not-found"
  | "unavailable"
  | "device"
  | "internal";

export interface ResponseError {
  code: ErrorCode;
  message: string;
  /** Where in the request (or the pushed config) the problem is, dotted. */
  path?: string;
}

export interface Response {
  transaction: string | null;
  status: "ok" | "error";
  data?: unknown;
  error?: ResponseError;
}

/** A refusal a handler throws: it becomes an error response, and nothing was changed. */
export class ControlError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = "ControlError";
  }

  toJSON(): ResponseError {
    return { code: this.code, message: this.message, ...(this.path ? { path: this.path } : {}) };
  }
}

export const TRANSACTION = /^[\x21-\x7e]{1,128}$/;

/** The request's transaction and arguments, or the refusal (with the transaction when it was readable). */
export function parseRequest(
  payload: Buffer,
):
  | { transaction: string; args: Record<string, unknown> }
  | { transaction: string | null; error: ControlError } {
  if (payload.length > MAX_REQUEST_BYTES)
    return {
      transaction: null,
      error: new ControlError(
        "too-large",
        `request of ${payload.length} bytes; at most ${MAX_REQUEST_BYTES}`,
      ),
    };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString("utf8"));
  } catch (err) {
    return { transaction: null, error: new ControlError("bad-json", `not JSON: ${(err as Error).message}`) };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { transaction: null, error: new ControlError("bad-json", "the request must be a JSON object") };
  const { transaction, ...args } = body as Record<string, unknown>;
  if (typeof transaction !== "string" || !TRANSACTION.test(transaction))
    return {
      transaction: null,
      error: new ControlError(
        "invalid",
        transaction === undefined
          ? "a transaction id is required (1–128 printable characters)"
          : "the transaction id must be 1–128 printable characters",
        "transaction",
      ),
    };
  return { transaction, args };
}

/** A schema failure as one refusal: the first issue's path and what is wrong there (the others listed). */
export function invalid(error: z.ZodError): ControlError {
  const issues = error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(request)"}: ${i.message}`);
  const first = error.issues[0];
  return new ControlError(
    "invalid",
    issues.join("; "),
    first?.path.length ? first.path.join(".") : undefined,
  );
}

const SECRET_KEY = /pass(word)?$|secret|token/i;

/** A copy with every secret-looking value replaced, for the audit log and the `config` topic. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== undefined ? "***" : redact(v)]),
  );
}
