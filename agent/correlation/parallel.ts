/**
 * Exact cross-correlation on several cores (see slices.ts for why the sum is exact): a pool of
 * slice workers (slice-worker.ts) that each pair the slices they are sent, for every histogram of
 * the run, and the correlator `analyze` uses on top of it. The live engine uses the same pool,
 * one period at a time (live-parallel.ts).
 */
import { Worker } from "node:worker_threads";
import type { CorrelationHistogram } from "./cross-correlation.js";
import { histogramBins } from "./pair-kernel.js";
import { type SliceCounts as Counts, SliceCounter, type SliceHistogram } from "./slice-counter.js";
import type { SliceReply, SliceRequest, SliceWorkerData } from "./slice-worker.js";
import { SliceCutter, type SliceJob } from "./slices.js";
import { StreamSpan } from "./stream-span.js";

/**
 * Slices a worker may have waiting before a thread that shares the work counts the next one
 * itself: enough that the worker never runs dry while that thread is busy with a slice of its own.
 */
const SHARED_QUEUE_DEPTH = 3;

/**
 * A pool of slice workers; with `shareWork`, the calling thread counts a slice itself whenever every
 * worker is busy, so it pairs too instead of waiting (the live engine's worker: its own per-tag
 * work is light).
 */
export class SliceWorkers {
  private readonly workers: Worker[] = [];
  private readonly local: SliceCounter | undefined;
  /**
   * Slices sent to each worker and not yet counted, in shared memory: each worker takes one off as
   * it finishes, so the count is current even while this thread is busy and the workers' messages
   * wait (a thread draining a queue of batches would otherwise see them all as busy).
   */
  private readonly inFlight: Int32Array;
  private readonly finishing = new Map<
    number,
    { replies: Counts[]; resolve: (sum: Counts) => void; reject: (err: Error) => void }
  >();
  private readonly roomWaiters: Array<() => void> = [];
  private failure: Error | undefined;

  constructor(
    private readonly histograms: SliceHistogram[],
    threads: number,
    url: URL,
    /** A slice was correlated: its buffer for reuse, its tags for the backlog. */
    private readonly onDone: (buffer: ArrayBuffer, tags: number) => void,
    private readonly onError: (err: Error) => void = () => {},
    shareWork = false,
  ) {
    if (shareWork) this.local = new SliceCounter(histograms);
    this.inFlight = new Int32Array(new SharedArrayBuffer(4 * Math.max(threads, 1)));
    for (let i = 0; i < threads; i++) {
      const workerData: SliceWorkerData = { histograms, inFlight: this.inFlight, index: i };
      const worker = new Worker(url, { workerData });
      worker.on("message", (reply: SliceReply) => this.receive(reply));
      worker.on("error", (err) => {
        this.failure = err;
        for (const wake of this.roomWaiters.splice(0)) wake();
        for (const pending of this.finishing.values()) pending.reject(err);
        this.finishing.clear();
        this.onError(err);
      });
      this.workers.push(worker);
    }
  }

  private receive(reply: SliceReply): void {
    if (reply.type === "done") {
      this.onDone(reply.buffer, reply.tags);
      this.roomWaiters.shift()?.();
      return;
    }
    this.finishing.get(reply.period)?.replies.push(reply.counts);
    this.receiveCounts(reply.period);
  }

  /** Resolves a finish once every worker (and this thread, when it shares the work) has given its counts. */
  private receiveCounts(period: number): void {
    const pending = this.finishing.get(period);
    if (!pending || pending.replies.length < this.workers.length + (this.local ? 1 : 0)) return;
    this.finishing.delete(period);
    const tagsPerChannel = new Float64Array(256);
    for (const r of pending.replies)
      for (let ch = 0; ch < 256; ch++) tagsPerChannel[ch]! += r.tagsPerChannel[ch]!;
    pending.resolve({
      histograms: this.histograms.map((h, k) => {
        const counts = new Float64Array(histogramBins(h.windowPs, h.binPs));
        const singles: [number, number] = [0, 0];
        for (const r of pending.replies) {
          const part = r.histograms[k]!;
          for (let i = 0; i < counts.length; i++) counts[i]! += part.counts[i]!;
          singles[0] += part.singles[0];
          singles[1] += part.singles[1];
        }
        return { counts, singles };
      }),
      tagsPerChannel,
    });
  }

  /**
   * Sends a slice to the least busy worker (its buffer is transferred) — or, when work is shared
   * and every worker already has SHARED_QUEUE_DEPTH slices waiting, counts it here.
   */
  send(job: SliceJob): void {
    if (this.failure) throw this.failure;
    const i = this.leastBusy();
    if (this.local && (i < 0 || Atomics.load(this.inFlight, i) >= SHARED_QUEUE_DEPTH)) {
      this.local.count(job);
      this.onDone(job.slice.timesPs.buffer as ArrayBuffer, job.slice.channels.length);
      return;
    }
    Atomics.add(this.inFlight, i, 1);
    this.workers[i]!.postMessage({ type: "slice", job } satisfies SliceRequest, [
      job.slice.timesPs.buffer as ArrayBuffer,
    ]);
  }

  /** The worker with the fewest slices in flight (−1: no workers). */
  private leastBusy(): number {
    let best = -1;
    for (let i = 0; i < this.workers.length; i++)
      if (best < 0 || Atomics.load(this.inFlight, i) < Atomics.load(this.inFlight, best)) best = i;
    return best;
  }

  /** Resolves once some worker has fewer than `most` slices in flight. */
  async room(most: number): Promise<void> {
    while (this.workers.length > 0 && Atomics.load(this.inFlight, this.leastBusy()) >= most && !this.failure)
      await new Promise<void>((wake) => this.roomWaiters.push(wake));
    if (this.failure) throw this.failure;
  }

  /** Every worker's counts for `period` (after all its slices), summed per histogram; the workers start afresh. */
  finish(period: number): Promise<Counts> {
    if (this.failure) return Promise.reject(this.failure);
    const replies = this.local ? [this.local.take()] : [];
    const result = new Promise<Counts>((resolve, reject) =>
      this.finishing.set(period, { replies, resolve, reject }),
    );
    for (const w of this.workers) w.postMessage({ type: "finish", period } satisfies SliceRequest);
    if (this.workers.length === 0) this.receiveCounts(period);
    return result;
  }

  /** Every worker drops what it counted since the last finish. */
  discard(): void {
    this.local?.discard();
    for (const w of this.workers) w.postMessage({ type: "discard" } satisfies SliceRequest);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The correlator `analyze` runs on several cores: the same interface as CrossCorrelator, async. */
export class ParallelCorrelator {
  private readonly cutter: SliceCutter;
  private readonly workers: SliceWorkers;
  private readonly span = new StreamSpan();

  constructor(
    readonly channelA: number,
    readonly channelB: number,
    readonly windowPs: number,
    readonly binPs: number,
    threads: number,
    workerUrl: URL,
  ) {
    histogramBins(windowPs, binPs); // refused here, before any worker starts
    this.cutter = new SliceCutter(windowPs);
    this.workers = new SliceWorkers([{ channelA, channelB, windowPs, binPs }], threads, workerUrl, (buffer) =>
      this.cutter.recycle(buffer),
    );
  }

  /** Events of one chunk, in time order; resolves once the slices it completes are handed over. */
  async push(channels: Uint8Array, timesPs: Float64Array): Promise<void> {
    if (this.span.add(timesPs)) await this.send(this.cutter.push({ channels, timesPs }));
  }

  /** Two slices in flight per worker at most: memory stays bounded whatever the file size. */
  private async send(jobs: SliceJob[]): Promise<void> {
    for (const job of jobs) {
      await this.workers.room(2);
      this.workers.send(job);
    }
  }

  /** The histogram: every slice correlated, the workers' counts summed; the workers end. */
  async histogram(): Promise<CorrelationHistogram> {
    await this.send(this.cutter.end());
    const [sum] = (await this.workers.finish(0)).histograms;
    await this.workers.close();
    return {
      channels: [this.channelA, this.channelB],
      windowPs: this.windowPs,
      binPs: this.binPs,
      counts: sum!.counts,
      singles: sum!.singles,
      spanPs: this.span.spanPs,
    };
  }

  /** Ends the workers (after a result, or an error elsewhere). */
  close(): Promise<void> {
    return this.workers.close();
  }
}
