/**
 * The pass of `analyze` over a file's tags: the cross-correlation (on several cores when the file is
 * big enough), the optional log-binned one, the histograms against the sync, the first and last
 * time. When the channel pair is not given it is the two busiest channels of the whole file: the
 * pass starts on the two busiest of its first chunk and, if the whole file ranks others first,
 * runs again on those — one pass instead of two whenever the first chunk is representative.
 */

import { workerUrl } from "../worker-url.js";
import { type CorrelationHistogram, CrossCorrelator } from "./cross-correlation.js";
import { LogCorrelator, type LogHistogram } from "./log-bins.js";
import { ParallelCorrelator } from "./parallel.js";
import { TimeTagFileError } from "./readers/errors.js";
import type { TimeTagFile } from "./readers/time-tag-file.js";
import { SyncHistogram } from "./sync-histogram.js";

/** Below this many records a file is correlated on this thread: starting workers would cost more. */
export const PARALLEL_MIN_RECORDS = 1 << 21;

export interface PassOptions {
  channels?: [number, number];
  windowPs: number;
  /** The histogram's (fine) bin, ps. */
  binPs: number;
  /** Edges for the log-binned histogram, if wanted. */
  logEdgesPs?: number[];
  /** Threads to correlate on (1: this one). */
  threads: number;
  /** Records read so far, for a progress line. */
  progress?: (recordsRead: number) => void;
}

export interface PassResult {
  channels: [number, number];
  histogram: CorrelationHistogram;
  log?: LogHistogram;
  sync?: SyncHistogram;
  firstPs?: number;
  lastPs: number;
  /** Passes over the file (2 when the first chunk's busiest channels were not the file's). */
  passes: number;
}

/** The two busiest channels of `photons` (per channel counts), in channel order; fewer if fewer have any. */
export function busiestTwo(photons: number[]): number[] {
  return photons
    .map((n, ch) => [ch, n ?? 0] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 2)
    .map(([ch]) => ch)
    .sort((a, b) => a - b);
}

interface Correlator {
  push(channels: Uint8Array, timesPs: Float64Array): void | Promise<void>;
  histogram(): CorrelationHistogram | Promise<CorrelationHistogram>;
  close?(): Promise<void>;
}

async function onePass(tags: TimeTagFile, o: PassOptions, given?: [number, number]) {
  let channels = given;
  let correlator: Correlator | undefined;
  let log: LogCorrelator | undefined;
  const start = (pair: [number, number]) => {
    channels = pair;
    correlator =
      o.threads > 1 && tags.info.records >= PARALLEL_MIN_RECORDS
        ? new ParallelCorrelator(pair[0], pair[1], o.windowPs, o.binPs, o.threads, workerUrl("slice-worker"))
        : new CrossCorrelator(pair[0], pair[1], o.windowPs, o.binPs);
    if (o.logEdgesPs) log = new LogCorrelator(pair[0], pair[1], o.logEdgesPs);
  };
  if (channels) start(channels);
  let sync: SyncHistogram | undefined;
  // Whether the stream carries the sync is decided on its first chunk (a file without it is not rescanned).
  let syncDecided = false;
  let countingOnly = false;
  let firstPs: number | undefined;
  let lastPs = 0;
  try {
    for await (const chunk of tags.chunks()) {
      if (!correlator && !countingOnly) {
        const busiest = busiestTwo(tags.counters!.photons);
        // Too few channels in the first chunk to guess from: this pass only counts them.
        if (busiest.length < 2) countingOnly = true;
        else start([busiest[0]!, busiest[1]!]);
      }
      o.progress?.(tags.counters!.records);
      if (!correlator) continue;
      await correlator.push(chunk.channels, chunk.timesPs);
      log?.push(chunk.channels, chunk.timesPs);
      if (!syncDecided && chunk.channels.length > 0) {
        sync = SyncHistogram.forChunk(chunk, tags.info.resolutionPs, tags.info.syncPeriodPs);
        syncDecided = true;
      }
      sync?.push(chunk);
      if (chunk.timesPs.length > 0) {
        firstPs ??= chunk.timesPs[0]!;
        lastPs = chunk.timesPs[chunk.timesPs.length - 1]!;
      }
    }
    if (!correlator) return undefined;
    const histogram = await correlator.histogram();
    return {
      channels: channels!,
      histogram,
      ...(log ? { log: log.histogram() } : {}),
      ...(sync ? { sync } : {}),
      ...(firstPs !== undefined ? { firstPs } : {}),
      lastPs,
    };
  } finally {
    await correlator?.close?.();
  }
}

export async function correlationPass(tags: TimeTagFile, o: PassOptions): Promise<PassResult> {
  let passes = 1;
  let result = await onePass(tags, o, o.channels);
  if (!o.channels) {
    // The whole file's busiest two (counted by the decoder on the way) decide.
    const busiest = busiestTwo(tags.counters?.photons ?? []);
    if (busiest.length < 2)
      throw new TimeTagFileError(
        tags.info.file,
        `photons on ${busiest.length} channel(s) only; a correlation needs two`,
      );
    const pair: [number, number] = [busiest[0]!, busiest[1]!];
    if (!result || result.channels[0] !== pair[0] || result.channels[1] !== pair[1]) {
      passes++;
      result = await onePass(tags, o, pair);
    }
  }
  return { ...result!, passes };
}
