/**
 * Cross-correlation histogram g2(τ) between two channels, τ = t(B) − t(A), by exact pair counting:
 * every pair with −W ≤ τ < W is counted once, streaming over time-ordered chunks with nothing lost
 * or counted twice at chunk boundaries: each A event is paired with the B events within ±W of it
 * once the stream has passed its window. Times and bins are integer picoseconds; a bin index is
 * (τ + W) / bin truncated, exact for these non-negative integers below 2^31.
 */

/** A growable queue of times, oldest first, for the last window of one channel. */
export class TimeWindow {
  private times = new Float64Array(1024);
  private head = 0;
  private tail = 0;

  push(t: number): void {
    if (this.tail === this.times.length) {
      const live = this.tail - this.head;
      const next = live * 2 > this.times.length ? new Float64Array(this.times.length * 2) : this.times;
      next.set(this.times.subarray(this.head, this.tail));
      this.times = next;
      this.head = 0;
      this.tail = live;
    }
    this.times[this.tail++] = t;
  }

  /** Drops times ≤ `limit` when `inclusive`, else times < `limit`. */
  dropUntil(limit: number, inclusive: boolean): void {
    const times = this.times;
    let h = this.head;
    if (inclusive) while (h < this.tail && times[h]! <= limit) h++;
    else while (h < this.tail && times[h]! < limit) h++;
    this.head = h;
  }

  get buffer(): Float64Array {
    return this.times;
  }
  get start(): number {
    return this.head;
  }
  get end(): number {
    return this.tail;
  }
}

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

import { pairWindow } from "./pair-kernel.js";

/** The hot loop's τ + W is an int32: the window spans at most 2^31 − 1 ps (±1.07 ms). */
const MAX_SPAN_PS = 2 ** 31 - 1;

/** One channel's recent times, oldest first. */
class ChannelTimes {
  times = new Float64Array(4096);
  length = 0;

  /** Room for `more` times after the current ones. */
  reserve(more: number): void {
    if (this.length + more <= this.times.length) return;
    const grown = new Float64Array(Math.max(this.times.length * 2, this.length + more));
    grown.set(this.times.subarray(0, this.length));
    this.times = grown;
  }

  /** First index whose time is > limit. */
  firstAfter(limit: number): number {
    let i = 0;
    while (i < this.length && this.times[i]! <= limit) i++;
    return i;
  }

  /** Forgets the first `n` times. */
  drop(n: number): void {
    if (n === 0) return;
    this.times.copyWithin(0, n, this.length);
    this.length -= n;
  }
}

export class CrossCorrelator {
  /** A events not yet paired. */
  private readonly a = new ChannelTimes();
  /** B events an unpaired or future A event may still pair with. */
  private readonly b = new ChannelTimes();
  private readonly counts: Float64Array;
  private singlesA = 0;
  private singlesB = 0;
  private firstPs: number | undefined;
  private lastPs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly channelA: number,
    readonly channelB: number,
    readonly windowPs: number,
    readonly binPs: number,
  ) {
    if (channelA === channelB) throw new RangeError("cross-correlation needs two different channels");
    if (
      !Number.isInteger(windowPs) ||
      !Number.isInteger(binPs) ||
      binPs <= 0 ||
      windowPs <= 0 ||
      (2 * windowPs) % binPs !== 0
    )
      throw new RangeError(
        `window ${windowPs} ps must be a positive whole number of ${binPs} ps bins on each side`,
      );
    if (2 * windowPs > MAX_SPAN_PS)
      throw new RangeError(
        `window ±${windowPs} ps: at most ±${MAX_SPAN_PS / 2} ps (the log bins reach further)`,
      );
    this.counts = new Float64Array((2 * windowPs) / binPs);
  }

  /**
   * Events of one chunk, in time order (and after every earlier chunk's). Each A event is paired
   * with the B events in [t − W, t + W) once the stream has reached t + W — until then no later
   * B event could still fall in its window — so an A event waits up to W; `histogram()` pairs the
   * ones still waiting (the stream ends there).
   */
  push(channels: Uint8Array, timesPs: Float64Array): void {
    const n = channels.length;
    if (n === 0) return;
    if (timesPs[0]! < this.lastPs)
      throw new RangeError(
        `chunk starts at ${timesPs[0]} ps, before the previous one ended (${this.lastPs} ps)`,
      );
    this.firstPs ??= timesPs[0]!;
    const { channelA, channelB, a, b } = this;
    a.reserve(n);
    b.reserve(n);
    const at = a.times;
    const bt = b.times;
    let na = a.length;
    let nb = b.length;
    for (let i = 0; i < n; i++) {
      const ch = channels[i]!;
      if (ch === channelA) at[na++] = timesPs[i]!;
      else if (ch === channelB) bt[nb++] = timesPs[i]!;
    }
    this.singlesA += na - a.length;
    this.singlesB += nb - b.length;
    a.length = na;
    b.length = nb;
    this.lastPs = timesPs[n - 1]!;
    // Every B event before lastPs has arrived: A events with t + W ≤ lastPs are complete.
    this.pairUpTo(this.lastPs - this.windowPs);
  }

  /** Pairs the waiting A events with t ≤ limit, then forgets what no later A event needs. */
  private pairUpTo(limit: number): void {
    const { a, b, windowPs: w } = this;
    const ready = a.firstAfter(limit);
    pairWindow(a.times, ready, b.times, b.length, w, this.binPs, this.counts);
    a.drop(ready);
    // The next A event is at or after the first waiting one, or after lastPs.
    const next = a.length > 0 ? a.times[0]! : this.lastPs;
    let old = 0;
    while (old < b.length && b.times[old]! < next - w) old++;
    b.drop(old);
  }

  /** The histogram so far; A events still waiting are paired first (the stream ends here). */
  histogram(): CorrelationHistogram {
    this.pairUpTo(Number.POSITIVE_INFINITY);
    return {
      channels: [this.channelA, this.channelB],
      windowPs: this.windowPs,
      binPs: this.binPs,
      counts: this.counts,
      singles: [this.singlesA, this.singlesB],
      spanPs: this.firstPs === undefined ? 0 : this.lastPs - this.firstPs,
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
