/**
 * The live correlator: time-tag chunks in, one set of measurements out per integration period —
 * g2(τ) and g2(0) per configured histogram, heralding efficiency where configured, and each
 * detector's rate, dead-time-corrected rate, saturation flag and brightness per pulse. Periods are
 * cut in the tagger's own time, so they are exact whatever the host does, and a simulated bench
 * running faster than real time gets the same measurements.
 *
 * Times: a chunk's tags are `epochPs + timesPs[i]`. The engine holds times relative to a base
 * epoch that it moves up at each period boundary, so the numbers it correlates stay small and
 * exact. A stream that goes back in time (the tagger restarted its clock) ends the partial period
 * unpublished and starts afresh; `restarts` counts it.
 *
 * Pure: no I/O, no clocks. The agent runs it in a worker thread (correlation-worker.ts).
 */
import type { TimeTagChunk } from "../../hal/interfaces.js";
import { type CorrelationHistogram, rebin } from "./cross-correlation.js";
import { g2Zero } from "./g2.js";
import { type HomVisibility, homDipCw, homVisibilityPulsed } from "./hom.js";
import { LocalHistograms, type PeriodHistograms } from "./period-histograms.js";
import type { PulsedG2 } from "./pulsed-g2.js";
import { brightness, channelRate, type Heralding, heraldingEfficiency } from "./rates.js";
import { firstAtOrAfter } from "./slices.js";

export interface LiveHistogram {
  name: string;
  /** Detector names and their tagger channels; τ = t(b) − t(a). */
  a: { detector: string; channel: number };
  b: { detector: string; channel: number };
  windowPs: number;
  binPs: number;
  periodPs: number | "auto" | "cw";
  /** The zero delay, ps; default: found (the smallest pulsed peak, or the fitted CW dip). */
  zeroDelayPs?: number;
  backgroundCps?: [number, number];
  herald?: { delayPs: number; windowPs: number };
  hom?:
    | { kind: "cw-dip"; dipDelayPs: number; farNs: number }
    | { kind: "pulsed"; orthogonalG2Zero: number; orthogonalG2ZeroError: number };
}

export interface LiveSettings {
  integrationPs: number;
  histograms: LiveHistogram[];
  /** Detector name → tagger channel, for the rates. */
  detectors: Record<string, number>;
  syncChannel?: number;
  /** Laser pulses per sync tag (the tagger's sync divider). */
  syncDivider: number;
  deadTimePs: Record<string, number>;
  setupEfficiency?: number;
  /** Threads that pair the tags (above 1: a pool of slice workers, live-parallel.ts). */
  workers?: number;
}

export interface Measurement {
  name: string;
  payload: Record<string, unknown>;
}

export class LiveCorrelationEngine {
  /** Measurements ready and not yet returned by push() (when no `emit` is given). */
  private ready: Measurement[] = [];
  private baseEpochPs: number | undefined;
  private periodStartPs = 0;
  private lastPs = Number.NEGATIVE_INFINITY;
  /** Periods published. */
  periods = 0;
  /** Times the stream went back in time and a partial period was dropped. */
  restarts = 0;
  tags = 0;

  /**
   * `histograms` counts each period's histograms (default: on this thread); `emit` receives each
   * measurement as it is ready — without it, push() returns them.
   */
  constructor(
    readonly settings: LiveSettings,
    private readonly histograms: PeriodHistograms = new LocalHistograms(settings),
    private readonly emit?: (m: Measurement) => void,
  ) {
    if (!(settings.integrationPs > 0)) throw new RangeError(`integration ${settings.integrationPs} ps`);
  }

  /** A chunk of the stream; returns the measurements that became ready (none when `emit` takes them). */
  push(chunk: TimeTagChunk): Measurement[] {
    const n = chunk.channels.length;
    if (n === 0) return [];
    this.tags += n;
    const times = chunk.timesPs;
    if (this.baseEpochPs === undefined) this.startAt(chunk.epochPs, times[0]!);
    // The chunk's times against the base epoch are times[i] + offset: never materialised, the
    // offset travels with them (0 but when the tagger moved its epoch within this period).
    let offset = chunk.epochPs - this.baseEpochPs!;
    if (times[0]! + offset < this.lastPs) {
      this.restarts++;
      this.histograms.discard();
      this.startAt(chunk.epochPs, times[0]!);
      offset = 0;
    }
    let from = 0;
    while (from < n) {
      const endPs = this.periodStartPs + this.settings.integrationPs;
      const split = firstAtOrAfter(times, endPs - offset, from);
      this.accumulate(chunk.channels.subarray(from, split), times.subarray(from, split), offset);
      if (split === n) break;
      this.finishPeriod();
      // Rebase on this chunk's epoch: the next period's times count from it.
      this.baseEpochPs = chunk.epochPs;
      this.periodStartPs = endPs - offset;
      this.lastPs -= offset;
      offset = 0;
      from = split;
    }
    const out = this.ready;
    this.ready = [];
    return out;
  }

  private publish(m: Measurement): void {
    if (this.emit) this.emit(m);
    else this.ready.push(m);
  }

  private startAt(epochPs: number, firstPs: number): void {
    this.baseEpochPs = epochPs;
    this.periodStartPs = firstPs;
    this.lastPs = Number.NEGATIVE_INFINITY;
  }

  private accumulate(channels: Uint8Array, times: Float64Array, offsetPs: number): void {
    const n = channels.length;
    if (n === 0) return;
    this.histograms.push(channels, times, offsetPs);
    this.lastPs = times[n - 1]! + offsetPs;
  }

  private finishPeriod(): void {
    const index = this.periods++;
    // The tagger's own clock at the period's end, s: the measurement's wall-clock `ts` beside it
    // relates the two clocks once per integration period.
    const tagClockEndS = (this.baseEpochPs! + this.periodStartPs + this.settings.integrationPs) / 1e12;
    this.histograms.end((histograms, tags) => {
      const rates = this.rates(index, tags);
      this.publish({ ...rates, payload: { ...rates.payload, tagClockEndS } });
      const { settings } = this;
      settings.histograms.forEach((h, i) => {
        const histogram = { ...histograms[i]!, spanPs: settings.integrationPs };
        this.publish({
          name: h.name,
          payload: {
            period: index,
            integrationS: settings.integrationPs / 1e12,
            tagClockEndS,
            ...histogramMeasurement(h, histogram),
          },
        });
      });
    });
  }

  /** The period's rates: each detector's rate, dead-time corrected, and brightness per pulse from the sync. */
  private rates(index: number, tags: Float64Array): Measurement {
    const { settings } = this;
    const integrationS = settings.integrationPs / 1e12;
    // The laser's repetition rate: sync tags × the divider.
    const syncRateHz =
      settings.syncChannel !== undefined
        ? (tags[settings.syncChannel]! * settings.syncDivider) / integrationS
        : undefined;
    const detectors: Record<string, unknown> = {};
    for (const [name, channel] of Object.entries(settings.detectors)) {
      const rate = channelRate(tags[channel]!, integrationS, settings.deadTimePs[name]);
      detectors[name] = {
        ...rate,
        ...(syncRateHz
          ? brightness(rate.correctedRateCps ?? rate.rateCps, syncRateHz, settings.setupEfficiency)
          : {}),
      };
    }
    return {
      name: "rates",
      payload: {
        period: index,
        integrationS,
        // The sync tags at the tagger's input, its divider, and the laser's rate they make.
        ...(syncRateHz !== undefined
          ? {
              syncInputCps: tags[settings.syncChannel!]! / integrationS,
              syncDivider: settings.syncDivider,
              syncRateHz,
            }
          : {}),
        detectors,
      },
    };
  }
}

/**
 * One histogram's measurement: g2(0) and the rest from the fine histogram, by the same code as
 * `photon-bench analyze`; the histogram published in the configured bins.
 */
function histogramMeasurement(h: LiveHistogram, fine: CorrelationHistogram): Record<string, unknown> {
  const histogram = rebin(fine, h.binPs / fine.binPs);
  const coincidences = histogram.counts.reduce((a, b) => a + b, 0);
  let g2: unknown;
  try {
    g2 =
      coincidences === 0
        ? { error: `no coincidences within ±${h.windowPs} ps` }
        : g2Zero(fine, {
            periodPs: h.periodPs,
            binPs: h.binPs,
            ...(h.zeroDelayPs !== undefined ? { zeroDelayPs: h.zeroDelayPs } : {}),
            ...(h.backgroundCps ? { backgroundCps: h.backgroundCps } : {}),
          });
  } catch (err) {
    g2 = { error: (err as Error).message };
  }
  let heralding: Heralding | { error: string } | undefined;
  if (h.herald)
    try {
      heralding = heraldingEfficiency(histogram, 0, h.herald.delayPs, h.herald.windowPs);
    } catch (err) {
      heralding = { error: (err as Error).message };
    }
  return {
    ...(h.hom ? { hom: homMeasurement(h.hom, histogram, g2) } : {}),
    channels: { a: h.a.detector, b: h.b.detector },
    singles: { a: histogram.singles[0], b: histogram.singles[1] },
    coincidences,
    g2,
    ...(heralding ? { heralding } : {}),
    histogram: compactHistogram(histogram),
  };
}

function homMeasurement(
  hom: NonNullable<LiveHistogram["hom"]>,
  histogram: CorrelationHistogram,
  g2: unknown,
): HomVisibility | { error: string } {
  try {
    if (hom.kind === "cw-dip") return homDipCw(histogram, hom.dipDelayPs, hom.farNs * 1000);
    const parallel = g2 as PulsedG2 | { kind?: undefined; error: string };
    if (parallel.kind !== "pulsed") return { error: "HOM (pulsed) needs a pulsed g2(0) of this period" };
    return homVisibilityPulsed(parallel, {
      ...parallel,
      g2Zero: hom.orthogonalG2Zero,
      g2ZeroError: hom.orthogonalG2ZeroError,
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/**
 * The histogram as published: bin k counts pairs with τ in [firstTauPs + k·binPs, … + binPs);
 * `countsBase64` is the counts as little-endian uint32, base64 (4 bytes a bin before encoding).
 */
export function compactHistogram(h: CorrelationHistogram) {
  const counts = Uint32Array.from(h.counts);
  return {
    firstTauPs: -h.windowPs,
    binPs: h.binPs,
    bins: counts.length,
    countsBase64: Buffer.from(counts.buffer, counts.byteOffset, counts.byteLength).toString("base64"),
  };
}

/** The published histogram's counts as a plain array (what `countsBase64` encodes). */
export function countsOf(countsBase64: string): number[] {
  const bytes = Buffer.from(countsBase64, "base64");
  return Array.from({ length: bytes.length >> 2 }, (_, k) => bytes.readUInt32LE(4 * k));
}

/** A measurement with its histogram's counts as a plain JSON array instead of base64. */
export function withCountsArray<T extends object>(measurement: T): T {
  const h = (measurement as { histogram?: { countsBase64?: unknown } }).histogram;
  if (typeof h?.countsBase64 !== "string") return measurement;
  const { countsBase64, ...rest } = h;
  return { ...measurement, histogram: { ...rest, counts: countsOf(countsBase64) } };
}

/** Two detectors `a` (channel 1) and `b` (channel 2), no sync, one CW or pulsed histogram "hbt": the benchmarks' and tests' set-up. */
export function twoDetectorSettings(
  integrationPs: number,
  histogram: Pick<LiveHistogram, "windowPs" | "binPs" | "periodPs">,
): LiveSettings {
  return {
    integrationPs,
    detectors: { a: 1, b: 2 },
    syncDivider: 1,
    deadTimePs: {},
    histograms: [
      { name: "hbt", a: { detector: "a", channel: 1 }, b: { detector: "b", channel: 2 }, ...histogram },
    ],
  };
}
