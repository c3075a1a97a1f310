/**
 * Exact cross-correlation on several cores (see slices.ts for why the sum is exact): a pool of
 * slice workers (slice-worker.ts) that each pair the slices they are sent, for every histogram of
 * the run, and the correlator `analyze` uses on top of it. The live engine uses the same pool,
 * one period at a time (live-parallel.ts).
 */
import { Worker } from "node:worker_threads";
import type { CorrelationHistogram } from "./cross-correlation.js";
import type { SliceHistogram, SliceReply, SliceRequest } from "./slice-worker.js";
import { SliceCutter, type SliceJob } from "./slices.js";

type Counts = Extract<SliceReply, { type: "counts" }>["histograms"];

export class SliceWorkers {
  private readonly workers: Worker[] = [];
  /** Slices sent to each worker and not yet done. */
  readonly inFlight: number[];
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
  ) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(url, { workerData: histograms });
      worker.on("message", (reply: SliceReply) => this.receive(i, reply));
      worker.on("error", (err) => {
        this.failure = err;
        for (const wake of this.roomWaiters.splice(0)) wake();
        for (const pending of this.finishing.values()) pending.reject(err);
        this.finishing.clear();
        this.onError(err);
      });
      this.workers.push(worker);
    }
    this.inFlight = this.workers.map(() => 0);
  }

  private receive(i: number, reply: SliceReply): void {
    if (reply.type === "done") {
      this.inFlight[i]!--;
      this.onDone(reply.buffer, reply.tags);
      this.roomWaiters.shift()?.();
      return;
    }
    const pending = this.finishing.get(reply.period);
    if (!pending) return;
    pending.replies.push(reply.histograms);
    if (pending.replies.length < this.workers.length) return;
    this.finishing.delete(reply.period);
    pending.resolve(
      this.histograms.map((h, k) => {
        const counts = new Float64Array((2 * h.windowPs) / h.binPs);
        const singles: [number, number] = [0, 0];
        for (const r of pending.replies) {
          const part = r[k]!;
          for (let i = 0; i < counts.length; i++) counts[i]! += part.counts[i]!;
          singles[0] += part.singles[0];
          singles[1] += part.singles[1];
        }
        return { counts, singles };
      }),
    );
  }

  /** Sends a slice to the least busy worker (its buffer is transferred). */
  send(job: SliceJob): void {
    if (this.failure) throw this.failure;
    const i = this.inFlight.indexOf(Math.min(...this.inFlight));
    this.inFlight[i]!++;
    this.workers[i]!.postMessage({ type: "slice", job } satisfies SliceRequest, [
      job.slice.timesPs.buffer as ArrayBuffer,
    ]);
  }

  /** Resolves once some worker has fewer than `most` slices in flight. */
  async room(most: number): Promise<void> {
    while (Math.min(...this.inFlight) >= most && !this.failure)
      await new Promise<void>((wake) => this.roomWaiters.push(wake));
    if (this.failure) throw this.failure;
  }

  /** Every worker's counts for `period` (after all its slices), summed per histogram; the workers start afresh. */
  finish(period: number): Promise<Counts> {
    if (this.failure) return Promise.reject(this.failure);
    const result = new Promise<Counts>((resolve, reject) =>
      this.finishing.set(period, { replies: [], resolve, reject }),
    );
    for (const w of this.workers) w.postMessage({ type: "finish", period } satisfies SliceRequest);
    return result;
  }

  /** Every worker drops what it counted since the last finish. */
  discard(): void {
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
    this.cutter = new SliceCutter(windowPs);
    this.workers = new SliceWorkers([{ channelA, channelB, windowPs, binPs }], threads, workerUrl, (buffer) =>
      this.cutter.recycle(buffer),
    );
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
    await this.send(this.cutter.push({ channels, timesPs }));
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
    const [sum] = await this.workers.finish(0);
    await this.workers.close();
    return {
      channels: [this.channelA, this.channelB],
      windowPs: this.windowPs,
      binPs: this.binPs,
      counts: sum!.counts,
      singles: sum!.singles,
      spanPs: this.firstPs === undefined ? 0 : this.lastPs - this.firstPs,
    };
  }

  /** Ends the workers (after a result, or an error elsewhere). */
  close(): Promise<void> {
    return this.workers.close();
  }
}
