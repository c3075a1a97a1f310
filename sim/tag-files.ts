/**
 * Synthetic time-tag files from simulated tag blocks, written from the formats' layouts — an
 * encoder independent of the readers under test — and streamed block by block, so a file of any
 * length takes constant memory:
 *  - PTU, HydraHarp V2 T2 (record type 0x01010204, 1 ps): special[31] channel[30:25] time[24:0];
 *    an overflow is special channel 63 whose time field counts 2^25-ps wraps;
 *  - quTAG binary: a 40-byte header, then 10-byte records, u64 time in ps and u16 channel, little-endian.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { TagBlock } from "./cw-emitter.js";

export type PtuTag = [ident: string, idx: number, type: number, value: number | string];
export const PtuTagType = {
  Int8: 0x10000008,
  Float8: 0x20000008,
  AnsiString: 0x4001ffff,
  Empty8: 0xffff0008,
};

/** A PTU header ("PQTTTR", version 1.0.00, the tags, Header_End). */
export function ptuHeaderBytes(tags: PtuTag[]): Buffer {
  const parts: Buffer[] = [Buffer.from("PQTTTR\0\0", "latin1"), Buffer.from("1.0.00\0\0", "latin1")];
  for (const [ident, idx, type, value] of [...tags, ["Header_End", -1, PtuTagType.Empty8, 0] as PtuTag]) {
    const tag = Buffer.alloc(48);
    tag.write(ident, 0, 32, "latin1");
    tag.writeInt32LE(idx, 32);
    tag.writeUInt32LE(type, 36);
    if (type === PtuTagType.AnsiString) {
      const text = Buffer.alloc(Math.ceil((String(value).length + 1) / 8) * 8);
      text.write(String(value), "latin1");
      tag.writeBigInt64LE(BigInt(text.length), 40);
      parts.push(tag, text);
      continue;
    }
    if (type === PtuTagType.Float8) tag.writeDoubleLE(Number(value), 40);
    else tag.writeBigInt64LE(BigInt(value), 40);
    parts.push(tag);
  }
  return Buffer.concat(parts);
}

const WRAP = 2 ** 25;

/** Writes tag blocks (time order, channels 0–62, times ≥ 0 in ps) as a HydraHarp V2 T2 PTU file; returns the record count. */
export function writePtuT2(file: string, blocks: Iterable<TagBlock>, durationS: number): number {
  const fd = openSync(file, "w");
  try {
    // The record count is not known until the end: write the header with a placeholder, patch it.
    const header = (records: number) =>
      ptuHeaderBytes([
        ["File_Comment", -1, PtuTagType.AnsiString, "photon-bench synthetic (sim/tag-files.ts)"],
        ["TTResultFormat_TTTRRecType", -1, PtuTagType.Int8, 0x01010204],
        ["TTResultFormat_BitsPerRecord", -1, PtuTagType.Int8, 32],
        ["MeasDesc_GlobalResolution", -1, PtuTagType.Float8, 1e-12],
        ["MeasDesc_Resolution", -1, PtuTagType.Float8, 1e-12],
        ["TTResult_SyncRate", -1, PtuTagType.Int8, 0],
        ["MeasDesc_AcquisitionTime", -1, PtuTagType.Int8, Math.ceil(durationS * 1000)],
        ["TTResult_NumberOfRecords", -1, PtuTagType.Int8, records],
      ]);
    const headerBytes = header(0).length;
    let position = headerBytes;
    let records = 0;
    let wraps = 0;
    for (const block of blocks) {
      const out = new Uint32Array(block.channels.length * 2 + 2);
      let n = 0;
      for (let i = 0; i < block.channels.length; i++) {
        const t = block.timesPs[i]!;
        const w = Math.floor(t / WRAP);
        if (w > wraps) {
          if (n + 2 > out.length) throw new RangeError("a gap of more than 2^25 wraps");
          out[n++] = (0x80000000 | (63 << 25) | (w - wraps)) >>> 0;
          wraps = w;
        }
        out[n++] = ((block.channels[i]! << 25) | (t - w * WRAP)) >>> 0;
      }
      position += writeSync(fd, new Uint8Array(out.buffer, 0, n * 4), 0, n * 4, position);
      records += n;
    }
    writeSync(fd, header(records), 0, headerBytes, 0);
    return records;
  } finally {
    closeSync(fd);
  }
}

/** Writes tag blocks as a quTAG binary file whose clock read `startPs` at time 0 (a BigInt: it may pass 2^53). */
export function writeQutag(file: string, blocks: Iterable<TagBlock>, startPs = 0n): number {
  const fd = openSync(file, "w");
  try {
    const header = Buffer.alloc(40);
    header.write("photon-bench synthetic quTAG", 0, "latin1");
    writeSync(fd, header);
    let records = 0;
    for (const block of blocks) {
      const out = Buffer.alloc(10 * block.channels.length);
      for (let i = 0; i < block.channels.length; i++) {
        out.writeBigUInt64LE(startPs + BigInt(block.timesPs[i]!), 10 * i);
        out.writeUInt16LE(block.channels[i]!, 10 * i + 8);
      }
      writeSync(fd, out);
      records += block.channels.length;
    }
    return records;
  } finally {
    closeSync(fd);
  }
}
