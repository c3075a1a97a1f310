/**
 * Cross-correlation histogram g2(τ) between two channels, τ = t(B) − t(A), by exact pair counting
 * (every pair with −W ≤ τ < W once, across chunk boundaries), in the WebAssembly pair engine
 * (pair-kernel.ts). Times and bins are integer picoseconds; a bin index is ⌊(τ + W) / bin⌋, exact
 * for these non-negative integers below 2^31.
 */
import { PairEngine } from "./pair-kernel.js";
import { StreamSpan } from "./stream-span.js";

export interface CorrelationHistogram {
  channels: [number, number];
  windowPs: number;
  binPs: number;
  /** counts[i] holds pairs with τ in [−W + i·bin, −W + (i+1)·bin). */
  counts: Float64Array;
  /** Events seen on each channel (for normalisation). */
  singles: [number, number];
  /** Time span of the data, ps (first to last event seen). */
  spanPs: number;
}

/** Fine histograms stay within this many bins (256 KB of int32 counts: a core's L2 cache). */
export const FINE_BINS_MAX = 65_536;
/**
 * The finest bin that divides `binPs` (or, with no bin given, the ±window) and keeps the histogram
 * within FINE_BINS_MAX bins; the user's bin itself when none does.
 */
export function fineBinPs(windowPs: number, binPs?: number): number {
  const span = 2 * windowPs;
  const of = binPs ?? span;
  for (let fine = Math.max(1, Math.ceil(span / FINE_BINS_MAX)); fine <= of; fine++)
    if (of % fine === 0 && span % fine === 0) return fine;
  return of;
}

export class CrossCorrelator {
  private readonly engine: PairEngine;
  private readonly span = new StreamSpan();

  constructor(
    readonly channelA: number,
    readonly channelB: number,
    readonly windowPs: number,
    readonly binPs: number,
  ) {
    this.engine = new PairEngine(channelA, channelB, windowPs, binPs);
  }

  /** Events of one chunk, in time order (and after every earlier chunk's); tag i at timesPs[i] + offsetPs. */
  push(channels: Uint8Array, timesPs: Float64Array, offsetPs = 0): void {
    if (this.span.add(timesPs, offsetPs)) this.engine.push(channels, timesPs, false, offsetPs);
  }

  /** Starts afresh: no counts, no times, no span (the same memory, reused). */
  reset(): void {
    this.engine.reset();
    this.span.reset();
  }

  /** The histogram so far; A events still waiting are paired first (the stream ends here). */
  histogram(): CorrelationHistogram {
    if (this.span.firstPs !== undefined) this.engine.finish(this.span.lastPs);
    return {
      channels: [this.channelA, this.channelB],
      windowPs: this.windowPs,
      binPs: this.binPs,
      counts: this.engine.counts(),
      singles: [...this.engine.singles],
      spanPs: this.span.spanPs,
    };
  }
}

/** g2(τ) normalised so that uncorrelated streams give 1: counts / (N_A · N_B · Δτ / T). */
export function normalise(h: CorrelationHistogram): Float64Array {
  const expectedPerBin = (h.singles[0] * h.singles[1] * h.binPs) / h.spanPs;
  return h.counts.map((c) => (expectedPerBin > 0 ? c / expectedPerBin : 0));
}

/** Sums `factor` adjacent bins (for display or CSV at a coarser bin). */
export function rebin(h: CorrelationHistogram, factor: number): CorrelationHistogram {
  if (!Number.isInteger(factor) || factor < 1 || h.counts.length % factor !== 0)
    throw new RangeError(`cannot rebin ${h.counts.length} bins by ${factor}`);
  const counts = new Float64Array(h.counts.length / factor);
  for (let i = 0; i < h.counts.length; i++) counts[Math.floor(i / factor)]! += h.counts[i]!;
  return { ...h, binPs: h.binPs * factor, counts };
}
