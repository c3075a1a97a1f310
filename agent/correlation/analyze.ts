/**
 * `photon-bench analyze`: a time-tag file to its numbers — counts, rates (dead-time corrected,
 * saturation), brightness per pulse, g2(τ) between two channels (linear and optionally log bins),
 * pulsed g2(0) with its error or CW g2(0) with background correction, and, where the file carries
 * the sync, each channel's lifetime and peak FWHM. Reads the file once, streaming (analyze-pass.ts;
 * twice when the channels are not given and its first chunk misleads). Correlation runs on a fine histogram: the
 * finest divisor of the bin that keeps it within FINE_BINS_MAX bins (256 KB of counts, in a
 * core's cache), so pulsed peak areas are sharp and the CW bin can be centred on the dip to a few
 * ps; `binPs` is the bin of CW g2(0), the plot and the CSV.
 */
import { availableParallelism } from "node:os";
import { correlationPass } from "./analyze-pass.js";
import { type CorrelationHistogram, fineBinPs, rebin } from "./cross-correlation.js";
import { binOnGrid, type CwG2, OptionMismatch } from "./cw-g2.js";
import { g2Zero } from "./g2.js";
import { logEdgesPs, normaliseLog } from "./log-bins.js";
import type { PulsedG2 } from "./pulsed-g2.js";
import { type Brightness, brightness, type ChannelRate, channelRate } from "./rates.js";
import { TimeTagFileError } from "./readers/errors.js";
import { openTimeTagFile } from "./readers/open.js";
import type { TimeTagFile } from "./readers/time-tag-file.js";
import { type DecayFit, fitDecay } from "./sync-histogram.js";

export interface AnalyzeOptions {
  channels?: [number, number];
  windowPs: number;
  /** The bin of CW g2(0), the plot and the CSV; default: from the fitted CW feature, or 16 ps for pulsed. */
  binPs?: number;
  periodPs: number | "auto" | "cw";
  /** The zero delay, ps; default: found (the smallest pulsed peak, or the fitted CW dip). */
  zeroDelayPs?: number;
  force: boolean;
  /** Detector dead time for the corrected rates and the saturation flag, ps. */
  deadTimePs?: number;
  /** Uncorrelated background per correlated channel (dark counts, stray light), cps: CW g2 correction. */
  backgroundCps?: [number, number];
  /** First lens → detector click efficiency, for the brightness at the first lens. */
  setupEfficiency?: number;
  /** Also a multi-tau histogram from --bin-ps to the window, this many bins per decade. */
  logBinsPerDecade?: number;
  /** Threads to correlate on; default: every core (os.availableParallelism()). */
  threads?: number;
  /** Called with the fraction of records read, for a progress line. */
  progress?: (fraction: number) => void;
}

export interface Analysis {
  file: string;
  format: string;
  recordType: string;
  records: number;
  /** The device's clock where the file's times start (its first tag, less up to one wrap), ps, decimal. */
  timeOriginPs: string;
  durationS: number;
  photons: Record<string, number>;
  ratesCps: Record<string, number>;
  /** Per channel: rate, dead-time-corrected rate and saturation flag. */
  rates: Record<string, ChannelRate>;
  syncRateHz?: number;
  /** Per channel, when the sync rate is known. */
  brightness?: Record<string, Brightness>;
  /** Per channel, from the histogram against the sync (T3 files, or T2 files carrying the sync). */
  lifetime?: Record<string, DecayFit>;
  g2Log?: Array<{ tauPs: number; g2: number; counts: number }>;
  warnings: string[];
  g2: { channels: [number, number] } & (PulsedG2 | CwG2);
  /** The display histogram: counts per `binPs` bin over ±window. */
  histogram: CorrelationHistogram;
}

/** The most bins a histogram may have at all (the user's bin over the window): 128 MB of counts. */
export const BINS_MAX = 1 << 24;
/** With no bin given: the display bin of a pulsed histogram, and where the log bins start, ps. */
const DEFAULT_BIN_PS = 16;

export class UsageError extends Error {}

export async function analyzeFile(file: string, o: AnalyzeOptions): Promise<Analysis> {
  if (!Number.isInteger(o.windowPs) || o.windowPs <= 0)
    throw new UsageError(`--window-ns: must give a whole number of ps, got ${o.windowPs} ps`);
  if (o.binPs !== undefined) {
    if (!Number.isInteger(o.binPs) || o.binPs <= 0)
      throw new UsageError(`--bin-ps: expected a positive whole number, got ${o.binPs}`);
    if ((2 * o.windowPs) % o.binPs !== 0)
      throw new UsageError(`--bin-ps ${o.binPs} does not divide the ±${o.windowPs} ps window`);
    if ((2 * o.windowPs) / o.binPs > BINS_MAX)
      throw new UsageError(
        `--bin-ps ${o.binPs} makes ${(2 * o.windowPs) / o.binPs} bins over the ±${o.windowPs} ps window; at most ${BINS_MAX}`,
      );
  }
  const tags = await openTimeTagFile(file, { force: o.force });
  try {
    return await analyzeTags(file, tags, o);
  } catch (err) {
    // An option that does not fit these data is a usage error (exit 2); any other range the
    // analysis meets is the data's (exit 3).
    if (err instanceof OptionMismatch) throw new UsageError(err.message);
    if (err instanceof RangeError) throw new TimeTagFileError(file, err.message);
    throw err;
  }
}

async function analyzeTags(file: string, tags: TimeTagFile, o: AnalyzeOptions): Promise<Analysis> {
  const records = tags.info.records;
  const report = (done: number) => o.progress?.(records > 0 ? done / records : 1);

  const fine = fineBinPs(o.windowPs, o.binPs);
  const pass = await correlationPass(tags, {
    ...(o.channels ? { channels: o.channels } : {}),
    windowPs: o.windowPs,
    binPs: fine,
    ...(o.logBinsPerDecade
      ? { logEdgesPs: logEdgesPs(o.binPs ?? DEFAULT_BIN_PS, o.windowPs, o.logBinsPerDecade) }
      : {}),
    threads: o.threads ?? availableParallelism(),
    // A second pass (the first chunk's busiest channels were not the file's) reads it all again.
    progress: (read) => report(read),
  });
  const { channels, histogram, sync, firstPs: first, lastPs: last } = pass;
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
  if (histogram.counts.reduce((x, y) => x + y, 0) === 0)
    throw new TimeTagFileError(
      file,
      `no coincidences between channels ${channels.join(" and ")} within ±${o.windowPs} ps (a wider --window-ns?)`,
    );
  const measured = g2Zero(histogram, {
    periodPs: o.periodPs,
    ...(o.binPs !== undefined ? { binPs: o.binPs } : {}),
    ...(o.zeroDelayPs !== undefined ? { zeroDelayPs: o.zeroDelayPs } : {}),
    ...(o.backgroundCps ? { backgroundCps: o.backgroundCps } : {}),
  });
  const g2 = { channels, ...measured };
  const displayBinPs =
    o.binPs ?? (measured.kind === "cw" ? measured.binPs : binOnGrid(histogram, DEFAULT_BIN_PS));
  const rates: Record<string, ChannelRate> = {};
  for (const [ch, n] of Object.entries(photons)) rates[ch] = channelRate(n, durationS, o.deadTimePs);
  const syncRateHz =
    counters.syncs > 0 && durationS > 0
      ? counters.syncs / durationS
      : tags.info.mode === "T3" && tags.info.syncPeriodPs
        ? 1e12 / tags.info.syncPeriodPs
        : undefined;
  const perChannel = <T>(make: (ch: string, rate: ChannelRate) => T | undefined) => {
    const out: Record<string, T> = {};
    for (const [ch, rate] of Object.entries(rates)) {
      const value = make(ch, rate);
      if (value !== undefined) out[ch] = value;
    }
    return out;
  };
  return {
    file,
    format: tags.info.format,
    recordType: tags.info.recordType,
    records,
    timeOriginPs: counters.timeOriginPs,
    durationS,
    photons,
    ratesCps,
    rates,
    ...(syncRateHz
      ? {
          syncRateHz,
          brightness: perChannel((_, r) =>
            brightness(r.correctedRateCps ?? r.rateCps, syncRateHz, o.setupEfficiency),
          ),
        }
      : {}),
    ...(sync
      ? {
          lifetime: perChannel((ch) =>
            fitDecay(sync.counts.get(Number(ch)) ?? new Float64Array(0), sync.binPs),
          ),
        }
      : {}),
    warnings: [...tags.warnings, ...(measured.kind === "cw" ? measured.warnings : [])],
    g2,
    ...(pass.log ? { g2Log: normaliseLog(pass.log) } : {}),
    histogram: rebin(histogram, displayBinPs / fine),
  };
}
