/**
 * Cutting a time-ordered stream into slices for exact parallel correlation. Each slice travels with
 * its context: the events of the window W before it and after it. A worker pairs the slice's A
 * events (and only those) with every B event of context, slice and context within ±W, so each pair
 * is counted once, by the worker holding its A event: summed, the workers' histograms equal the
 * single-thread histogram bin for bin. A slice is ready once the stream has passed its last event
 * by W (its context after is then complete), or when the stream (or an integration period) ends.
 *
 * Pure: no threads. Slices are copied into buffers of a pool (the readers reuse their arrays); the
 * caller transfers `slice`'s buffer to a worker and gives it back with `recycle()`.
 */

export interface Events {
  channels: Uint8Array;
  timesPs: Float64Array;
}

export interface SliceJob {
  /** B context: the events within W before the slice. */
  before: Events;
  slice: Events;
  /** B context: the events within W after the slice. */
  after: Events;
}

const EMPTY: Events = { channels: new Uint8Array(0), timesPs: new Float64Array(0) };

/** The first index whose time is ≥ limit (times ascending). */
export function firstAtOrAfter(times: Float64Array, limit: number, from = 0): number {
  let lo = from;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Events from several runs, joined into fresh arrays. */
function join(parts: Events[]): Events {
  const n = parts.reduce((s, p) => s + p.channels.length, 0);
  const out = { channels: new Uint8Array(n), timesPs: new Float64Array(n) };
  let at = 0;
  for (const p of parts) {
    out.channels.set(p.channels, at);
    out.timesPs.set(p.timesPs, at);
    at += p.channels.length;
  }
  return out;
}

const lastOf = (e: Events) => e.timesPs[e.timesPs.length - 1]!;

export class SliceCutter {
  /** Slices waiting for the stream to pass their last event by W. */
  private readonly queue: Events[] = [];
  /** The events within W before the first queued slice. */
  private before: Events = EMPTY;
  private readonly pool: ArrayBuffer[] = [];
  private lastPs = Number.NEGATIVE_INFINITY;

  constructor(readonly windowPs: number) {}

  /** Events of one chunk (time order, after every earlier one; tag i at timesPs[i] + offsetPs): the slices it completes. */
  push(events: Events, offsetPs = 0): SliceJob[] {
    const n = events.channels.length;
    if (n === 0) return [];
    this.lastPs = events.timesPs[n - 1]! + offsetPs;
    this.queue.push(this.copy(events, offsetPs));
    const ready: SliceJob[] = [];
    while (this.queue.length > 0 && lastOf(this.queue[0]!) + this.windowPs <= this.lastPs)
      ready.push(this.next());
    return ready;
  }

  /** The stream ends (or an integration period): every slice left, and a fresh start. */
  end(): SliceJob[] {
    const ready: SliceJob[] = [];
    while (this.queue.length > 0) ready.push(this.next());
    this.before = EMPTY;
    this.lastPs = Number.NEGATIVE_INFINITY;
    return ready;
  }

  /** A slice's buffer back from its worker, for the next slices. */
  recycle(buffer: ArrayBuffer): void {
    if (this.pool.length < 16) this.pool.push(buffer);
  }

  /** A copy of `events` (times moved by `offsetPs`) in a pooled buffer: times first (8-aligned), then channels. */
  private copy(events: Events, offsetPs: number): Events {
    const n = events.channels.length;
    const bytes = n * 9;
    const index = this.pool.findIndex((b) => b.byteLength >= bytes);
    // A new buffer has room to spare, so that it fits the next chunks too (their sizes vary a little).
    const buffer =
      index >= 0
        ? this.pool.splice(index, 1)[0]!
        : new ArrayBuffer(Math.ceil((bytes * 1.125) / 2 ** 20) * 2 ** 20);
    const timesPs = new Float64Array(buffer, 0, n);
    const channels = new Uint8Array(buffer, n * 8, n);
    if (offsetPs === 0) timesPs.set(events.timesPs);
    else for (let i = 0; i < n; i++) timesPs[i] = events.timesPs[i]! + offsetPs;
    channels.set(events.channels);
    return { channels, timesPs };
  }

  private next(): SliceJob {
    const slice = this.queue.shift()!;
    const sliceLast = lastOf(slice);
    const after: Events[] = [];
    for (const later of this.queue) {
      const end = firstAtOrAfter(later.timesPs, sliceLast + this.windowPs);
      after.push({ channels: later.channels.subarray(0, end), timesPs: later.timesPs.subarray(0, end) });
      if (end < later.timesPs.length) break;
    }
    const job: SliceJob = { before: this.before, slice, after: join(after) };
    // The next slice's context before: the events within W before it, from this slice and its own context.
    const nextFirst = this.queue[0]?.timesPs[0] ?? this.lastPs;
    const within = (e: Events) => {
      const k = firstAtOrAfter(e.timesPs, nextFirst - this.windowPs);
      return { channels: e.channels.subarray(k), timesPs: e.timesPs.subarray(k) };
    };
    this.before = join([within(this.before), within(slice)]);
    return job;
  }
}
