/**
 * Parsing of instrument replies. Every number that leaves a driver went through one of these:
 * a reply that does not parse, or parses to a value outside what the instrument can report,
 * is a ProtocolError naming the device, the command and the reply — never a NaN.
 */
import { ProtocolError, showReply } from "../errors.js";

export interface ReplyContext {
  device: string;
  command: string;
  /** The whole reply, when the text being parsed is one field of it: errors quote the whole. */
  reply?: string;
}

/** Plain decimal as instruments print them: `+004.0123`, `-1.5`, `9.998E-03`, `42`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseDecimal(
  reply: string,
  ctx: ReplyContext,
  what: string,
  range: { min: number; max: number } = { min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY },
): number {
  const text = reply.trim();
  if (!DECIMAL.test(text)) throw bad(ctx, reply, `${what}: not a number`);
  const value = Number(text);
  if (value < range.min || value > range.max)
    throw bad(ctx, reply, `${what} ${value} outside ${range.min}…${range.max}`);
  return value;
}

export function parseInteger(reply: string, ctx: ReplyContext, what: string, radix: 10 | 16 = 10): number {
  const text = reply.trim();
  const pattern = radix === 16 ? /^(0x)?[0-9A-Fa-f]+$/ : /^[+-]?\d+$/;
  if (!pattern.test(text))
    throw bad(ctx, reply, `${what}: not a ${radix === 16 ? "hexadecimal " : ""}integer`);
  return Number.parseInt(text.replace(/^0x/, ""), radix);
}

export function parseChoice<T extends string>(
  reply: string,
  ctx: ReplyContext,
  what: string,
  choices: readonly T[],
): T {
  const text = reply.trim().toUpperCase();
  const found = choices.find((c) => c.toUpperCase() === text);
  if (found === undefined) throw bad(ctx, reply, `${what}: expected one of ${choices.join(", ")}`);
  return found;
}

/** Splits a compound reply (`a;b;c`) and insists on the number of parts the command asked for. */
export function splitReply(reply: string, separator: string, count: number, ctx: ReplyContext): string[] {
  const parts = reply.trim().split(separator);
  if (parts.length !== count) throw bad(ctx, reply, `expected ${count} fields, got ${parts.length}`);
  return parts;
}

export function bad(ctx: ReplyContext, fragment: string, message: string): ProtocolError {
  const reply = showReply(ctx.reply ?? fragment);
  return new ProtocolError(`${ctx.command}: ${message} (reply "${reply}")`, {
    device: ctx.device,
    command: ctx.command,
    reply,
  });
}
