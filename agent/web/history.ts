/**
 * Fixed-size time series for the web view: one shared time axis per group (a device, a histogram,
 * the aligner) and a column per field, in preallocated rings. A page that opens gets the last
 * `capacity` points of each; memory never grows with uptime.
 */

/** One point as it goes to a page: time (s since the epoch) and the fields that had a number. */
export type HistoryPoint = [tS: number, values: Record<string, number>];

/** The slots of a ring holding `length` of `capacity` items, `next` to be written: oldest first. */
export function ringOrder(next: number, length: number, capacity: number): number[] {
  return Array.from({ length }, (_, k) => (next - length + k + capacity) % capacity);
}

export class HistoryGroup {
  private readonly t: Float64Array;
  private readonly columns = new Map<string, Float64Array>();
  private next = 0;
  private length = 0;
  private lastS = Number.NEGATIVE_INFINITY;

  /** Keeps `capacity` points, at most one each `minSpacingS`. */
  constructor(
    private readonly capacity: number,
    private readonly minSpacingS: number,
    /** At most this many fields (a device that invents names cannot grow it). */
    private readonly maxFields = 32,
  ) {
    this.t = new Float64Array(capacity);
  }

  /** Adds a point unless it follows the last too closely; returns whether it was kept. */
  push(tS: number, values: Record<string, number>): boolean {
    if (tS - this.lastS < this.minSpacingS) return false;
    this.lastS = tS;
    const i = this.next;
    this.t[i] = tS;
    for (const column of this.columns.values()) column[i] = Number.NaN;
    for (const [field, v] of Object.entries(values)) {
      let column = this.columns.get(field);
      if (!column) {
        if (this.columns.size >= this.maxFields) continue;
        column = new Float64Array(this.capacity).fill(Number.NaN);
        this.columns.set(field, column);
      }
      column[i] = v;
    }
    this.next = (i + 1) % this.capacity;
    this.length = Math.min(this.length + 1, this.capacity);
    return true;
  }

  /** Oldest first, as columns: `{t: [...], fields: {name: [...]}}` (a missing value is null). */
  toJSON(): { t: number[]; fields: Record<string, Array<number | null>> } {
    const order = ringOrder(this.next, this.length, this.capacity);
    const fields: Record<string, Array<number | null>> = {};
    for (const [name, column] of this.columns)
      fields[name] = order.map((i) => (Number.isNaN(column[i]!) ? null : column[i]!));
    return { t: order.map((i) => this.t[i]!), fields };
  }
}
