/**
 * `photon-bench analyze`: a time-tag file to its numbers — counts, rates, g2(τ) between two
 * channels and pulsed g2(0) with its error. Reads the file once to count channels (when the pair
 * is not given) and once to correlate, both streaming. Correlation runs on a fine histogram (1 ps,
 * or coarser only to stay under FINE_BINS_MAX) so peak areas are exact; `binPs` is for display.
 */
import { type CorrelationHistogram, CrossCorrelator, rebin } from "./cross-correlation.js";
import { findPeakGrid, holdsEnoughPeriods, type PulsedG2, peakModulation, pulsedG2 } from "./pulsed-g2.js";
import { openTimeTagFile } from "./readers/open.js";

export interface AnalyzeOptions {
  channels?: [number, number];
  windowPs: number;
  binPs: number;
  periodPs: number | "auto";
  force: boolean;
  /** Called with the fraction of records read, for a progress line. */
  progress?: (fraction: number) => void;
}

export interface CwG2 {
  kind: "cw";
  zeroDelayPs: number;
  /** Normalised g2 in the bin at zero delay, without background correction. */
  g2Zero: number;
  g2ZeroError: number;
}

export interface Analysis {
  file: string;
  format: string;
  recordType: string;
  records: number;
  durationS: number;
  photons: Record<string, number>;
  ratesCps: Record<string, number>;
  syncRateHz?: number;
  warnings: string[];
  g2: { channels: [number, number] } & (PulsedG2 | CwG2);
  /** The display histogram: counts per `binPs` bin over ±window. */
  histogram: CorrelationHistogram;
}

/** Fine histograms are capped at this many bins (16 MB). */
export const FINE_BINS_MAX = 2_000_000;
/** Folded-profile modulation above which the histogram is a train of pulsed peaks. */
const PULSED_MODULATION = 0.5;

export class UsageError extends Error {}

function fineBinPs(windowPs: number, binPs: number): number {
  for (let fine = 1; fine <= binPs; fine++)
    if (binPs % fine === 0 && (2 * windowPs) / fine <= FINE_BINS_MAX) return fine;
  return binPs;
}

export async function analyzeFile(file: string, o: AnalyzeOptions): Promise<Analysis> {
  if (!Number.isInteger(o.windowPs) || o.windowPs <= 0)
    throw new UsageError(`--window-ns: must give a whole number of ps, got ${o.windowPs} ps`);
  if (!Number.isInteger(o.binPs) || o.binPs <= 0)
    throw new UsageError(`--bin-ps: expected a positive whole number, got ${o.binPs}`);
  if ((2 * o.windowPs) % o.binPs !== 0)
    throw new UsageError(`--bin-ps ${o.binPs} does not divide the ±${o.windowPs} ps window`);
  const tags = await openTimeTagFile(file, { force: o.force });
  const records = tags.info.records;
  const report = (done: number) => o.progress?.(records > 0 ? done / records : 1);

  let channels = o.channels;
  let counted: number[] | undefined;
  if (!channels) {
    for await (const _ of tags.chunks()) report(tags.counters!.records / 2);
    counted = tags.counters!.photons;
    const ranked = counted
      .map((n, ch) => [ch, n ?? 0] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([ch]) => ch)
      .sort((a, b) => a - b);
    if (ranked.length < 2)
      throw new UsageError(`the file has photons on ${ranked.length} channel(s); a correlation needs two`);
    channels = [ranked[0]!, ranked[1]!];
  }
  const fine = fineBinPs(o.windowPs, o.binPs);
  const correlator = new CrossCorrelator(channels[0], channels[1], o.windowPs, fine);
  let first: number | undefined;
  let last = 0;
  for await (const chunk of tags.chunks()) {
    correlator.push(chunk.channels, chunk.timesPs);
    if (chunk.timesPs.length > 0) {
      first ??= chunk.timesPs[0]!;
      last = chunk.timesPs[chunk.timesPs.length - 1]!;
    }
    const read = tags.counters!.records;
    report(counted ? records / 2 + read / 2 : read);
  }
  const counters = tags.counters!;
  const durationS = first === undefined ? 0 : (last - first) / 1e12;
  const photons: Record<string, number> = {};
  const ratesCps: Record<string, number> = {};
  counters.photons.forEach((n, ch) => {
    if (!n) return;
    photons[String(ch)] = n;
    ratesCps[String(ch)] = durationS > 0 ? Math.round(n / durationS) : 0;
  });
  for (const c of channels)
    if (!photons[String(c)])
      throw new UsageError(
        `--channels: channel ${c} has no photons in this file (it has ${Object.keys(photons).join(", ")})`,
      );
  const histogram = correlator.histogram();
  const g2 = channelsG2(histogram, o.periodPs, channels);
  return {
    file,
    format: tags.info.format,
    recordType: tags.info.recordType,
    records,
    durationS,
    photons,
    ratesCps,
    ...(tags.info.mode === "T3" && tags.info.syncPeriodPs
      ? { syncRateHz: 1e12 / tags.info.syncPeriodPs }
      : {}),
    ...(counters.syncs > 0 ? { syncRateHz: counters.syncs / durationS } : {}),
    warnings: tags.warnings,
    g2,
    histogram: rebin(histogram, o.binPs / fine),
  };
}

function channelsG2(
  h: CorrelationHistogram,
  periodPs: number | "auto",
  channels: [number, number],
): Analysis["g2"] {
  if (h.counts.reduce((a, b) => a + b, 0) === 0)
    throw new UsageError(
      `no coincidences between channels ${channels.join(" and ")} within ±${h.windowPs} ps`,
    );
  if (periodPs !== "auto") return { channels, ...pulsedG2(h, { periodPs }) };
  const grid = findPeakGrid(h, "auto");
  if (holdsEnoughPeriods(h, grid.periodPs) && peakModulation(h, grid) > PULSED_MODULATION) {
    try {
      return { channels, ...pulsedG2(h, { periodPs: "auto", grid }) };
    } catch (err) {
      // A lone peak (a fixed delay) is modulated but is no train of peaks: fall through to CW.
      if (!(err instanceof RangeError)) throw err;
    }
  }
  // CW: the bin at τ = 0 against the uncorrelated level N_A·N_B·Δτ/T (no background correction yet).
  const zero = Math.floor(h.windowPs / h.binPs);
  const expectedPerBin = (h.singles[0] * h.singles[1] * h.binPs) / h.spanPs;
  const counts = h.counts[zero]!;
  return {
    channels,
    kind: "cw",
    zeroDelayPs: 0,
    g2Zero: counts / expectedPerBin,
    g2ZeroError: Math.sqrt(Math.max(counts, 1)) / expectedPerBin,
  };
}
