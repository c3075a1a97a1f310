/**
 * Exact cross-correlation on several cores: the stream is cut into slices (the chunks as they
 * come), and each slice goes to a worker thread with its context — the events of the window W
 * before it and after it. The worker pairs the slice's A events (and only those) with every B
 * event of context, slice and context within ±W, so each pair is counted by exactly one worker,
 * the one holding its A event: summed, the workers' histograms equal the single-thread histogram
 * bin for bin. A slice leaves once the stream has passed its last event by W (its context after
 * is complete then). At most `2 × threads` slices are in flight; their buffers come back and are
 * reused.
 */
import { Worker } from "node:worker_threads";
import type { CorrelationHistogram } from "./cross-correlation.js";
import type { SliceJob, SliceReply, SliceSettings } from "./slice-worker.js";

interface Events {
  channels: Uint8Array;
  timesPs: Float64Array;
}

/** The first index whose time is ≥ limit (times ascending). */
function firstAtOrAfter(times: Float64Array, limit: number): number {
  let lo = 0;
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

export class ParallelCorrelator {
  private readonly workers: Worker[] = [];
  private readonly inFlight: number[];
  /** Slices waiting for the stream to pass their last event by W. */
  private readonly queue: Events[] = [];
  /** The events within W before the first queued slice (its context before). */
  private before: Events = { channels: new Uint8Array(0), timesPs: new Float64Array(0) };
  private readonly spare: ArrayBuffer[] = [];
  private readonly waiting: Array<() => void> = [];
  private failure: Error | undefined;
  private firstPs: number | undefined;
  private lastPs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly channelA: number,
    readonly channelB: number,
    readonly windowPs: number,
    readonly binPs: number,
    threads: number,
    workerUrl: URL,
  ) {
    const settings: SliceSettings = { channelA, channelB, windowPs, binPs };
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(workerUrl, { workerData: settings });
      worker.on("message", (reply: SliceReply) => {
        if (reply.type !== "done") return;
        this.inFlight[i]!--;
        this.spare.push(...reply.buffers);
        this.waiting.shift()?.();
      });
      worker.on("error", (err) => {
        this.failure = err;
        for (const wake of this.waiting.splice(0)) wake();
      });
      this.workers.push(worker);
    }
    this.inFlight = this.workers.map(() => 0);
  }

  /** A copy of `events` in a buffer from the pool (the reader reuses its arrays). */
  private copy(events: Events): Events {
    const n = events.channels.length;
    const bytes = n * 9;
    const index = this.spare.findIndex((b) => b.byteLength >= bytes);
    const buffer = index >= 0 ? this.spare.splice(index, 1)[0]! : new ArrayBuffer(Math.max(bytes, 1 << 20));
    const timesPs = new Float64Array(buffer, 0, n);
    const channels = new Uint8Array(buffer, n * 8, n);
    timesPs.set(events.timesPs);
    channels.set(events.channels);
    return { channels, timesPs };
  }

  /** Events of one chunk, in time order; resolves once the slices it completes are handed over. */
  async push(channels: Uint8Array, timesPs: Float64Array): Promise<void> {
    const n = channels.length;
    if (n === 0) return;
    if (timesPs[0]! < this.lastPs)
      throw new RangeError(
        `chunk starts at ${timesPs[0]} ps, before the previous one ended (${this.lastPs} ps)`,
      );
    this.firstPs ??= timesPs[0]!;
    this.lastPs = timesPs[n - 1]!;
    this.queue.push(this.copy({ channels, timesPs }));
    while (this.queue.length > 0 && this.lastOf(this.queue[0]!) + this.windowPs <= this.lastPs)
      await this.dispatch();
  }

  private lastOf(e: Events): number {
    return e.timesPs[e.timesPs.length - 1]!;
  }

  /** Sends the first queued slice with its context to the least busy worker. */
  private async dispatch(): Promise<void> {
    const slice = this.queue.shift()!;
    const sliceLast = this.lastOf(slice);
    // Context after: the queued events before sliceLast + W.
    const after: Events[] = [];
    for (const next of this.queue) {
      const end = firstAtOrAfter(next.timesPs, sliceLast + this.windowPs);
      after.push({ channels: next.channels.subarray(0, end), timesPs: next.timesPs.subarray(0, end) });
      if (end < next.timesPs.length) break;
    }
    const job: SliceJob = { before: this.before, slice, after: join(after) };
    // The next slice's context before: the events within W before it, from this slice and what came before it.
    const nextFirst = this.queue[0]?.timesPs[0] ?? this.lastPs;
    const from = (e: Events) => {
      const k = firstAtOrAfter(e.timesPs, nextFirst - this.windowPs);
      return { channels: e.channels.subarray(k), timesPs: e.timesPs.subarray(k) };
    };
    this.before = join([from(this.before), from(slice)]);
    while (Math.min(...this.inFlight) >= 2 && !this.failure)
      await new Promise<void>((wake) => this.waiting.push(wake));
    if (this.failure) throw this.failure;
    const i = this.inFlight.indexOf(Math.min(...this.inFlight));
    this.inFlight[i]!++;
    this.workers[i]!.postMessage(job, [slice.timesPs.buffer as ArrayBuffer]);
  }

  /** The histogram: every slice correlated, the workers' counts summed; the workers end. */
  async histogram(): Promise<CorrelationHistogram> {
    while (this.queue.length > 0) await this.dispatch();
    const results = await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<Extract<SliceReply, { type: "counts" }>>((resolve, reject) => {
            worker.on("message", (reply: SliceReply) => {
              if (reply.type === "counts") resolve(reply);
            });
            worker.once("error", reject);
            worker.postMessage({ finish: true });
          }),
      ),
    );
    await Promise.all(this.workers.map((w) => w.terminate()));
    if (this.failure) throw this.failure;
    const counts = new Float64Array((2 * this.windowPs) / this.binPs);
    const singles: [number, number] = [0, 0];
    for (const r of results) {
      for (let i = 0; i < counts.length; i++) counts[i]! += r.counts[i]!;
      singles[0] += r.singles[0];
      singles[1] += r.singles[1];
    }
    return {
      channels: [this.channelA, this.channelB],
      windowPs: this.windowPs,
      binPs: this.binPs,
      counts,
      singles,
      spanPs: this.firstPs === undefined ? 0 : this.lastPs - this.firstPs,
    };
  }

  /** Ends the workers without a result (an error elsewhere). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
