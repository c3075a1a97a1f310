/**
 * The first and last time of a stream pushed chunk by chunk, and the rule every correlator keeps:
 * a chunk may not start before the previous one ended.
 */
export class StreamSpan {
  firstPs: number | undefined;
  lastPs = Number.NEGATIVE_INFINITY;

  /** Takes in a chunk (tag i at timesPs[i] + offsetPs); false when it is empty. */
  add(timesPs: Float64Array, offsetPs = 0): boolean {
    const n = timesPs.length;
    if (n === 0) return false;
    const first = timesPs[0]! + offsetPs;
    if (first < this.lastPs)
      throw new RangeError(`chunk starts at ${first} ps, before the previous one ended (${this.lastPs} ps)`);
    this.firstPs ??= first;
    this.lastPs = timesPs[n - 1]! + offsetPs;
    return true;
  }

  /** First to last time, ps (0 before any). */
  get spanPs(): number {
    return this.firstPs === undefined ? 0 : this.lastPs - this.firstPs;
  }

  /** Forgets the stream (a new one starts, e.g. the next integration period). */
  reset(): void {
    this.firstPs = undefined;
    this.lastPs = Number.NEGATIVE_INFINITY;
  }
}
