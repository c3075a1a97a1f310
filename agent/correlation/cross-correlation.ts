/**
 * Cross-correlation histogram g2(τ) between two channels, τ = t(B) − t(A), by exact pair counting:
 * every pair with −W ≤ τ < W is counted once, streaming over time-ordered chunks with nothing lost
 * or counted twice at chunk boundaries. Each event looks back only: an A event pairs with the B
 * events of the last W (τ ≤ 0), a B event with the A events of the last W (τ ≥ 0), so each pair is
 * seen by its later event alone. Times and bins are integer picoseconds; a bin index is
 * (τ + W) / bin truncated, exact for these non-negative integers below 2^31 bins.
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

export class CrossCorrelator {
  private readonly a = new TimeWindow();
  private readonly b = new TimeWindow();
  readonly counts: Float64Array;
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
    this.counts = new Float64Array((2 * windowPs) / binPs);
  }

  /** Events of one chunk, in time order (and after every earlier chunk's). */
  push(channels: Uint8Array, timesPs: Float64Array): void {
    const { channelA, channelB, windowPs: w, binPs: bin, counts, a, b } = this;
    const n = channels.length;
    if (n === 0) return;
    if (timesPs[0]! < this.lastPs)
      throw new RangeError(
        `chunk starts at ${timesPs[0]} ps, before the previous one ended (${this.lastPs} ps)`,
      );
    this.firstPs ??= timesPs[0]!;
    for (let i = 0; i < n; i++) {
      const ch = channels[i]!;
      if (ch !== channelA && ch !== channelB) continue;
      const t = timesPs[i]!;
      if (ch === channelA) {
        this.singlesA++;
        b.dropUntil(t - w, false); // keep tB ≥ tA − W
        const times = b.buffer;
        for (let j = b.start; j < b.end; j++) counts[((times[j]! - t + w) / bin) | 0]!++;
        a.push(t);
      } else {
        this.singlesB++;
        a.dropUntil(t - w, true); // keep tA > tB − W
        const times = a.buffer;
        for (let j = a.start; j < a.end; j++) counts[((t - times[j]! + w) / bin) | 0]!++;
        b.push(t);
      }
    }
    this.lastPs = timesPs[n - 1]!;
  }

  histogram(): CorrelationHistogram {
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
