/**
 * Exact streaming pair counting in JavaScript, for the log-binned correlator (the linear one runs
 * the same rule in the WebAssembly pair engine, pair-kernel.ts): a time-ordered stream of chunks
 * is split into channels A and B, and each A event is handed to `pair` with the B events that may
 * lie within ±W of it once the stream has reached t + W — until then a later B event could still
 * fall in its window. So every pair with −W ≤ τ < W is counted once, whatever the chunk
 * boundaries; `finish()` pairs the A events still waiting (the stream ends there). Memory: the A
 * events of the last W and the B events of the last 2W.
 */

import { StreamSpan } from "./stream-span.js";

/** Counts the pairs of `a[0…n)` with `b[0…m)` (both ascending) within [t − W, t + W) of each a. */
export type PairCounter = (a: Float64Array, n: number, b: Float64Array, m: number) => void;

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

export class PairStream {
  /** A events not yet paired. */
  private readonly a = new ChannelTimes();
  /** B events an unpaired or future A event may still pair with. */
  private readonly b = new ChannelTimes();
  /** Events seen on A and B. */
  readonly singles: [number, number] = [0, 0];
  private readonly span = new StreamSpan();

  constructor(
    readonly channelA: number,
    readonly channelB: number,
    readonly windowPs: number,
    private readonly pair: PairCounter,
  ) {
    if (channelA === channelB) throw new RangeError("cross-correlation needs two different channels");
  }

  /** Time span of the data, ps (first to last event seen). */
  get spanPs(): number {
    return this.span.spanPs;
  }

  /** Events of one chunk, in time order (and after every earlier chunk's). */
  push(channels: Uint8Array, timesPs: Float64Array): void {
    if (!this.span.add(timesPs)) return;
    const n = channels.length;
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
    this.singles[0] += na - a.length;
    this.singles[1] += nb - b.length;
    a.length = na;
    b.length = nb;
    // Every B event before the last one has arrived: A events with t + W ≤ it are complete.
    this.pairUpTo(this.span.lastPs - this.windowPs);
  }

  /** Pairs the A events still waiting: the stream ends here. */
  finish(): void {
    this.pairUpTo(Number.POSITIVE_INFINITY);
  }

  /** Pairs the waiting A events with t ≤ limit, then forgets what no later A event needs. */
  private pairUpTo(limit: number): void {
    const { a, b } = this;
    const ready = a.firstAfter(limit);
    if (ready > 0) this.pair(a.times, ready, b.times, b.length);
    a.drop(ready);
    // The next A event is at or after the first waiting one, or after lastPs.
    const next = a.length > 0 ? a.times[0]! : this.span.lastPs;
    let old = 0;
    while (old < b.length && b.times[old]! < next - this.windowPs) old++;
    b.drop(old);
  }
}
