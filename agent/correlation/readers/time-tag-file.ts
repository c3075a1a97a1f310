/**
 * What every time-tag file reader gives the analysis: what the file is, its decoded chunks in time
 * order (constant memory whatever the file size), the decoder's counters and the warnings of a
 * forced read.
 */
import type { PtuHeader } from "./ptu-header.js";
import type { DecodeCounters, DecodedChunk } from "./ptu-records.js";

export interface TimeTagFileInfo {
  file: string;
  format: "PTU" | "PT2" | "PT3" | "quTAG";
  recordType: string;
  /** PTU record type code (0 for quTAG). */
  recordTypeCode: number;
  mode: "T2" | "T3";
  /** Records the file holds (checked against the header's count where it declares one). */
  records: number;
  /** T2: one time unit; T3: one dtime unit, ps. */
  resolutionPs: number;
  /** T3: the sync period, ps. */
  syncPeriodPs?: number;
  /** As declared in the header (0 or absent when not measured). */
  syncRateHz?: number;
  acquisitionTimeS?: number;
  header: PtuHeader;
}

export interface ReadOptions {
  /** Records per chunk: 1 Mi records is 4 MiB of PTU read at a time. */
  chunkRecords?: number;
  /** Analyse a file that contradicts itself; the contradictions go to `warnings`. */
  force?: boolean;
  /** quTAG: how far out of time order a record may arrive and still be sorted into place, ps. */
  reorderWindowPs?: number;
}

export interface TimeTagFile {
  readonly info: TimeTagFileInfo;
  readonly warnings: string[];
  /** Set once `chunks()` has started. */
  readonly counters: DecodeCounters | undefined;
  chunks(): AsyncGenerator<DecodedChunk>;
}

/** Times are float64 picoseconds: exact integers up to 2^53 ps, about 2.5 hours. */
const EXACT_PS = 2 ** 53;

/** Warns when a file runs past the exact range of its float64 picosecond times. */
export function checkSpan(c: DecodeCounters, warnings: string[]): void {
  if (c.lastTimePs > EXACT_PS)
    warnings.push(
      `the data run to ${(c.lastTimePs / 3.6e15).toFixed(2)} h; times beyond ${(EXACT_PS / 3.6e15).toFixed(2)} h are rounded to a few ps`,
    );
}
