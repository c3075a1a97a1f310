/**
 * PicoQuant PTU header (PicoQuant "PTU file format" specification, TTTR tags): an 8-byte magic
 * `PQTTTR\0\0`, an 8-byte version string, then tags until `Header_End`. Each tag is a 32-byte
 * null-padded identifier, an int32 index (−1 when the tag is not an array element), a uint32 type
 * and an 8-byte value; for the variable-length types the value is a byte count and that many
 * bytes follow the tag.
 */
import { TimeTagFileError } from "./errors.js";

export const PTU_MAGIC = "PQTTTR";

/** Tag types (PTU specification, "tag type" table). */
export const TagType = {
  Empty8: 0xffff0008,
  Bool8: 0x00000008,
  Int8: 0x10000008,
  BitSet64: 0x11000008,
  Color8: 0x12000008,
  Float8: 0x20000008,
  TDateTime: 0x21000008,
  Float8Array: 0x2001ffff,
  AnsiString: 0x4001ffff,
  WideString: 0x4002ffff,
  BinaryBlob: 0xffffffff,
} as const;

export type TagValue = number | bigint | boolean | string | Float64Array | Uint8Array | null;

export interface PtuHeader {
  version: string;
  /** Tag values by identifier; array elements as `Ident[idx]`. */
  tags: Map<string, TagValue>;
  /** Bytes before the first record. */
  headerBytes: number;
}

const TDATETIME_EPOCH_OFFSET_DAYS = 25569; // 1899-12-30 → 1970-01-01

/** Parses the header from `bytes` (the file's start); undefined if `Header_End` is not in them yet. */
export function parsePtuHeader(
  bytes: Uint8Array,
  file: string,
  fileBytes = bytes.length,
): PtuHeader | undefined {
  const text = (start: number, end: number) =>
    Buffer.from(bytes.subarray(start, end)).toString("latin1").replace(/\0.*$/s, "");
  const start = Buffer.from(bytes.subarray(0, 8)).toString("latin1");
  if (!`${PTU_MAGIC}\0\0`.startsWith(start))
    throw new TimeTagFileError(
      file,
      `not a PTU file (magic "${start.replace(/\0.*$/s, "")}", expected "${PTU_MAGIC}")`,
    );
  if (bytes.length < 16) return undefined;
  if (text(0, 8) !== PTU_MAGIC)
    throw new TimeTagFileError(file, `not a PTU file (magic "${text(0, 8)}", expected "${PTU_MAGIC}")`);
  const version = text(8, 16);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tags = new Map<string, TagValue>();
  let at = 16;
  while (at + 48 <= bytes.length) {
    const ident = text(at, at + 32);
    const idx = view.getInt32(at + 32, true);
    const type = view.getUint32(at + 36, true);
    const key = idx >= 0 ? `${ident}[${idx}]` : ident;
    let value: TagValue;
    let next = at + 48;
    switch (type) {
      case TagType.Empty8:
        value = null;
        break;
      case TagType.Bool8:
        value = view.getBigInt64(at + 40, true) !== 0n;
        break;
      case TagType.Int8:
      case TagType.BitSet64:
      case TagType.Color8: {
        const big = view.getBigInt64(at + 40, true);
        value =
          big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(big)
            : big;
        break;
      }
      case TagType.Float8:
        value = view.getFloat64(at + 40, true);
        break;
      case TagType.TDateTime: {
        // A date that is not one (NaN, 1e20 days) is kept as unknown, not thrown at the report.
        const date = new Date((view.getFloat64(at + 40, true) - TDATETIME_EPOCH_OFFSET_DAYS) * 86_400_000);
        value = Number.isNaN(date.getTime()) ? null : date.toISOString();
        break;
      }
      case TagType.Float8Array:
      case TagType.AnsiString:
      case TagType.WideString:
      case TagType.BinaryBlob: {
        const length = Number(view.getBigInt64(at + 40, true));
        if (length < 0 || length > 1 << 30)
          throw new TimeTagFileError(file, `tag ${key}: impossible length ${length}`);
        if (at + 48 + length > fileBytes)
          throw new TimeTagFileError(file, `tag ${key} declares ${length} bytes, beyond the file's end`);
        next = at + 48 + length;
        if (next > bytes.length) return undefined;
        const data = bytes.subarray(at + 48, next);
        if (type === TagType.AnsiString) value = text(at + 48, next);
        else if (type === TagType.WideString)
          value = Buffer.from(data).toString("utf16le").replace(/\0.*$/s, "");
        else if (type === TagType.Float8Array)
          value = new Float64Array(data.slice().buffer, 0, Math.floor(length / 8));
        else value = data.slice();
        break;
      }
      default:
        throw new TimeTagFileError(
          file,
          `tag ${key} at byte ${at} has unknown type 0x${type.toString(16)}: the header is corrupt`,
        );
    }
    tags.set(key, value);
    at = next;
    if (ident === "Header_End") return { version, tags, headerBytes: at };
  }
  return undefined;
}

export function numberTag(header: PtuHeader, key: string): number | undefined {
  const value = header.tags.get(key);
  return typeof value === "number" ? value : undefined;
}
