/**
 * Thorlabs APT messages (the binary protocol of the K-Cubes and T-Cubes over their USB serial
 * port, ../shared/INSTRUMENTS.md §3): little-endian; a 6-byte header `[id lo, id hi, p1, p2, dest,
 * src]`, or for a message with data `[id lo, id hi, len lo, len hi, dest | 0x80, src]` and `len`
 * bytes. The host is 0x01, a USB unit 0x50. Message ids as Thorlabs' APT communications protocol
 * document numbers them (and the open implementations that quote it).
 */
import type { ReplyReader } from "../interfaces.js";

export const HOST = 0x01;
export const USB_UNIT = 0x50;

export const MSG = {
  HW_REQ_INFO: 0x0005,
  HW_GET_INFO: 0x0006,
  HW_RESPONSE: 0x0080,
  HW_RICHRESPONSE: 0x0081,
  MOD_SET_CHANENABLESTATE: 0x0210,
  MOD_REQ_CHANENABLESTATE: 0x0211,
  MOD_GET_CHANENABLESTATE: 0x0212,
  MOD_IDENTIFY: 0x0223,
  PZ_SET_POSCONTROLMODE: 0x0640,
  PZ_SET_OUTPUTVOLTS: 0x0643,
  PZ_REQ_OUTPUTVOLTS: 0x0644,
  PZ_GET_OUTPUTVOLTS: 0x0645,
  PZ_SET_TPZ_IOSETTINGS: 0x07d4,
  PZ_REQ_TPZ_IOSETTINGS: 0x07d5,
  PZ_GET_TPZ_IOSETTINGS: 0x07d6,
} as const;

export interface AptMessage {
  id: number;
  /** Header-only messages: their two parameter bytes. */
  p1: number;
  p2: number;
  source: number;
  /** Messages with data: the data (empty otherwise). */
  data: Buffer;
}

/** A header-only message to `dest`. */
export function aptShort(id: number, p1 = 0, p2 = 0, dest = USB_UNIT): Buffer {
  return Buffer.from([id & 0xff, id >> 8, p1, p2, dest, HOST]);
}

/** A message with data to `dest`. */
export function aptLong(id: number, data: Buffer, dest = USB_UNIT): Buffer {
  const header = Buffer.from([id & 0xff, id >> 8, data.length & 0xff, data.length >> 8, dest | 0x80, HOST]);
  return Buffer.concat([header, data]);
}

/** The whole message at the start of `bytes` and its length, or undefined while it is incomplete. */
export function aptParse(bytes: Uint8Array, at = 0): { message: AptMessage; length: number } | undefined {
  if (bytes.length - at < 6) return undefined;
  const id = bytes[at]! | (bytes[at + 1]! << 8);
  const long = (bytes[at + 4]! & 0x80) !== 0;
  const dataLength = long ? bytes[at + 2]! | (bytes[at + 3]! << 8) : 0;
  if (bytes.length - at < 6 + dataLength) return undefined;
  const data = Buffer.from(bytes.subarray(at + 6, at + 6 + dataLength));
  return {
    message: {
      id,
      p1: long ? 0 : bytes[at + 2]!,
      p2: long ? 0 : bytes[at + 3]!,
      source: bytes[at + 5]!,
      data,
    },
    length: 6 + dataLength,
  };
}

/**
 * Reads messages until one with id `expect`; messages the unit sends meanwhile (status updates)
 * are consumed with it. An error report (HW_RESPONSE / HW_RICHRESPONSE) ends the read instead.
 */
export function aptReplyReader(expect: number): ReplyReader<AptMessage> {
  return (received) => {
    let at = 0;
    for (;;) {
      const parsed = aptParse(received, at);
      if (!parsed) return undefined;
      at += parsed.length;
      const id = parsed.message.id;
      if (id === expect || id === MSG.HW_RESPONSE || id === MSG.HW_RICHRESPONSE)
        return { value: parsed.message, consumed: at };
    }
  };
}

/** An error report's text: HW_RICHRESPONSE carries the message it refers to, a code and notes. */
export function aptErrorText(m: AptMessage): string {
  if (m.id !== MSG.HW_RICHRESPONSE || m.data.length < 4) return "the unit reported an error (HW_RESPONSE)";
  const notes = m.data.subarray(4).toString("latin1").replace(/\0.*$/s, "").trim();
  return `the unit reported error ${m.data.readUInt16LE(2)} for message 0x${m.data.readUInt16LE(0).toString(16).padStart(4, "0")}${notes ? `: ${notes}` : ""}`;
}
