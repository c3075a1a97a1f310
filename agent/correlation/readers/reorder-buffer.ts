/**
 * A nearly sorted stream of (time, channel) records put in order — a quTAG's channels come out of
 * its buffers each in order but not among themselves, in files (qutag-file.ts) and live
 * (sources/qutag-tagger.ts) alike.
 */
import type { DecodedChunk } from "./ptu-records.js";

/** Most records the reorder buffer holds (9 bytes each: 36 MB). */
export const MAX_BUFFERED = 4 << 20;

/**
 * Sorts a nearly sorted stream of (time, channel) records. A record is released once a record
 * `windowPs` later has been seen; one older than a record already released is dropped and counted.
 */
export class ReorderBuffer {
  private times = new Float64Array(0);
  private channels = new Uint8Array(0);
  private maxSeenPs = Number.NEGATIVE_INFINITY;
  private lastReleasedPs = Number.NEGATIVE_INFINITY;
  /** Records that arrived after a later one and were sorted into place. */
  reordered = 0;
  /** Records too late to place. */
  dropped = 0;
  /** Times the buffer was full before the window passed, and released its oldest records early. */
  forced = 0;

  constructor(readonly windowPs: number) {}

  /** Adds records in file order; returns the worst lateness if some had to be dropped. */
  push(times: Float64Array, channels: Uint8Array): { byPs: number } | undefined {
    const n = this.times.length;
    const allTimes = new Float64Array(n + times.length);
    const allChannels = new Uint8Array(n + times.length);
    allTimes.set(this.times);
    allChannels.set(this.channels);
    let out = n;
    let worst = 0;
    let sorted = true;
    let max = this.maxSeenPs;
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      if (t < this.lastReleasedPs) {
        this.dropped++;
        worst = Math.max(worst, this.lastReleasedPs - t);
        continue;
      }
      if (t < max) {
        this.reordered++;
        sorted = false;
      } else max = t;
      allTimes[out] = t;
      allChannels[out++] = channels[i]!;
    }
    this.maxSeenPs = max;
    this.times = allTimes.subarray(0, out);
    this.channels = allChannels.subarray(0, out);
    if (!sorted) this.sort();
    return worst > 0 ? { byPs: worst } : undefined;
  }

  /** A live stream's origin moved `ps` later: every time held drops by `ps`. */
  shift(ps: number): void {
    for (let i = 0; i < this.times.length; i++) this.times[i]! -= ps;
    this.maxSeenPs -= ps;
    this.lastReleasedPs -= ps;
  }

  /**
   * Releases the records no later record can precede (all of them at the end of the stream). The
   * buffer is bounded: beyond MAX_BUFFERED records (a file whose times stand still — all equal,
   * all zero — never reaches the window) the oldest are released anyway, and a record older than
   * them is dropped and counted like any late one.
   */
  release(all: boolean): DecodedChunk {
    const limit = all ? Number.POSITIVE_INFINITY : this.maxSeenPs - this.windowPs;
    if (!all && this.times.length > MAX_BUFFERED) {
      this.forced++;
      return this.cut(this.times.length - MAX_BUFFERED / 2);
    }
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! <= limit) lo = mid + 1;
      else hi = mid;
    }
    return this.cut(lo);
  }

  /** The first `n` records out, the rest kept. */
  private cut(n: number): DecodedChunk {
    const released = { channels: this.channels.slice(0, n), timesPs: this.times.slice(0, n) };
    if (n > 0) this.lastReleasedPs = this.times[n - 1]!;
    this.times = this.times.slice(n);
    this.channels = this.channels.slice(n);
    return released;
  }

  /**
   * A natural merge sort: the buffer is a few ascending runs (each of the unit's channel buffers is
   * in order), merged pairwise until one is left — O(n log runs), stable (equal times keep their
   * order of arrival), with no comparator calls.
   */
  private sort(): void {
    let t = this.times;
    let c = this.channels;
    const n = t.length;
    let runs = [0];
    for (let i = 1; i < n; i++) if (t[i]! < t[i - 1]!) runs.push(i);
    runs.push(n);
    let tOut = new Float64Array(n);
    let cOut = new Uint8Array(n);
    while (runs.length > 2) {
      const next = [0];
      for (let r = 0; r + 1 < runs.length; r += 2) {
        const lo = runs[r]!;
        const mid = runs[r + 1]!;
        const hi = r + 2 < runs.length ? runs[r + 2]! : mid;
        let i = lo;
        let j = mid;
        let k = lo;
        while (i < mid && j < hi) {
          if (t[j]! < t[i]!) {
            tOut[k] = t[j]!;
            cOut[k++] = c[j++]!;
          } else {
            tOut[k] = t[i]!;
            cOut[k++] = c[i++]!;
          }
        }
        for (; i < mid; i++, k++) {
          tOut[k] = t[i]!;
          cOut[k] = c[i]!;
        }
        for (; j < hi; j++, k++) {
          tOut[k] = t[j]!;
          cOut[k] = c[j]!;
        }
        next.push(hi);
      }
      [t, tOut] = [tOut, t];
      [c, cOut] = [cOut, c];
      runs = next;
    }
    this.times = t;
    this.channels = c;
  }
}
