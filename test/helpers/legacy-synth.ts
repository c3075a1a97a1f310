/**
 * Synthetic PicoHarp .pt2/.pt3 and quTAG .qutag files written from the formats' layouts (see the
 * readers' headers for the offsets), independent of the readers under test.
 */
import { writeFileSync } from "node:fs";
import { encodeRecords, type SynthEvent } from "./ptu-synth.js";

export interface LegacyHeader {
  mode: "T2" | "T3";
  /** T3: the sync rate, Hz (CntRate0). */
  syncRateHz?: number;
  /** T3 dtime unit, ns (the board's float Resolution). */
  resolutionNs?: number;
  acquisitionMs?: number;
  declaredRecords?: number;
  version?: string;
  measMode?: number;
  imageHeaderWords?: number;
}

export function writeLegacyPt(file: string, events: SynthEvent[], h: LegacyHeader): number {
  const t3 = h.mode === "T3";
  const records = encodeRecords(
    { code: t3 ? 0x00010303 : 0x00010203, mode: h.mode, picoharp: true, singleWrap: false },
    events,
  );
  const image = h.imageHeaderWords ?? 0;
  const header = Buffer.alloc(728 + 4 * image);
  header.write("PicoHarp 300", 0, "latin1");
  header.write(h.version ?? "2.0", 16, "latin1");
  header.write("photon-bench test", 22, "latin1");
  header.write("\r\n", 70, "latin1");
  header.write("synthetic", 72, "latin1");
  header.writeInt32LE(1, 328); // curves
  header.writeInt32LE(32, 332); // bits per record
  header.writeInt32LE(h.measMode ?? (t3 ? 3 : 2), 348);
  header.writeInt32LE(h.acquisitionMs ?? 0, 364);
  header.write("PicoHarp 300", 536, "latin1");
  header.writeFloatLE(h.resolutionNs ?? 0.004, 584);
  header.writeInt32LE(h.syncRateHz ?? 0, 704);
  header.writeInt32LE(h.declaredRecords ?? records.length, 720);
  header.writeInt32LE(image, 724);
  writeFileSync(file, Buffer.concat([header, Buffer.from(records.buffer)]));
  return records.length;
}

/** Writes records in the order given (quTAG files need not be time-sorted). */
export function writeQutag(
  file: string,
  records: Array<{ timePs: number; channel: number }>,
  extra = "",
): void {
  const body = Buffer.alloc(40 + 10 * records.length);
  body.write("photon-bench synthetic quTAG", 0, "latin1");
  records.forEach((r, i) => {
    body.writeBigUInt64LE(BigInt(r.timePs), 40 + 10 * i);
    body.writeUInt16LE(r.channel, 48 + 10 * i);
  });
  writeFileSync(file, Buffer.concat([body, Buffer.from(extra, "latin1")]));
}
