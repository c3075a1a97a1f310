/**
 * Synthetic PTU files written straight from the specification's layouts — an encoder independent
 * of the reader under test — for record types we have no real file of.
 */
import { writeFileSync } from "node:fs";
import { type PtuTag, PtuTagType, ptuHeaderBytes } from "../../sim/tag-files.js";

const { Int8, Float8, AnsiString } = PtuTagType;
type Tag = PtuTag;

export interface SynthEvent {
  /** 0-based photon channel, "sync" (T2 generic only) or a marker number 1–15. */
  channel: number | "sync" | { marker: number };
  /** T2: time in units; T3: sync number. */
  time: number;
  /** T3: dtime in units. */
  dtime?: number;
}

export interface Layout {
  code: number;
  mode: "T2" | "T3";
  picoharp: boolean;
  singleWrap: boolean;
}

/** Encodes time-ordered events, inserting overflow records the way the instrument does. */
export function encodeRecords(layout: Layout, events: SynthEvent[]): Uint32Array {
  const words: number[] = [];
  const t3 = layout.mode === "T3";
  const wrap = layout.picoharp
    ? t3
      ? 65_536
      : 210_698_240
    : t3
      ? 1024
      : layout.singleWrap
        ? 33_552_000
        : 33_554_432;
  const maxCount = t3 ? 1023 : 0x1ffffff;
  let base = 0;
  for (const e of events) {
    while (e.time - base >= wrap) {
      if (layout.picoharp) {
        words.push(t3 ? 0xf0000000 : 0xf0000000);
        base += wrap;
      } else if (layout.singleWrap) {
        words.push((0x80000000 | (0x3f << 25)) >>> 0);
        base += wrap;
      } else {
        const n = Math.min(maxCount, Math.floor((e.time - base) / wrap));
        words.push((0x80000000 | (0x3f << 25) | n) >>> 0);
        base += n * wrap;
      }
    }
    const rel = e.time - base;
    const dtime = e.dtime ?? 0;
    if (layout.picoharp) {
      if (typeof e.channel === "object")
        words.push(
          (0xf0000000 | (t3 ? (e.channel.marker << 16) | rel : (rel & ~0xf) | e.channel.marker)) >>> 0,
        );
      else if (t3) words.push((((Number(e.channel) + 1) << 28) | (dtime << 16) | rel) >>> 0);
      else words.push(((Number(e.channel) << 28) | rel) >>> 0);
    } else {
      const special = e.channel === "sync" || typeof e.channel === "object";
      const ch = e.channel === "sync" ? 0 : typeof e.channel === "object" ? e.channel.marker : e.channel;
      const payload = t3 ? (dtime << 10) | rel : rel;
      words.push(((special ? 0x80000000 : 0) | (ch << 25) | payload) >>> 0);
    }
  }
  return Uint32Array.from(words);
}

export function writePtu(
  file: string,
  layout: Layout,
  events: SynthEvent[],
  header: {
    globalResolutionS: number;
    resolutionS?: number;
    syncRateHz?: number;
    declaredRecords?: number;
    acquisitionMs?: number;
  },
): number {
  const records = encodeRecords(layout, events);
  const tags: Tag[] = [
    ["File_Comment", -1, AnsiString, "photon-bench synthetic"],
    ["TTResultFormat_TTTRRecType", -1, Int8, layout.code],
    ["TTResultFormat_BitsPerRecord", -1, Int8, 32],
    ["MeasDesc_GlobalResolution", -1, Float8, header.globalResolutionS],
    ["MeasDesc_Resolution", -1, Float8, header.resolutionS ?? header.globalResolutionS],
    ["TTResult_SyncRate", -1, Int8, header.syncRateHz ?? 0],
    ["MeasDesc_AcquisitionTime", -1, Int8, header.acquisitionMs ?? 0],
    ["TTResult_NumberOfRecords", -1, Int8, header.declaredRecords ?? records.length],
  ];
  writeFileSync(file, Buffer.concat([ptuHeaderBytes(tags), Buffer.from(records.buffer)]));
  return records.length;
}
