/**
 * The live engine's histograms on several cores: each integration period's stream is cut into
 * slices with the widest window's context (slices.ts) and paired by a pool of slice workers
 * (parallel.ts), every configured histogram in each; at the period's end the workers' counts are
 * summed — equal bin for bin to one thread's. Pairs never cross a period boundary, as on one
 * thread. Runs inside the correlation worker, so the agent's main thread only hands over tags.
 */
import type { CorrelationHistogram } from "./cross-correlation.js";
import { fineHistograms, type LiveSettings, type PeriodHistograms } from "./live-engine.js";
import { SliceWorkers } from "./parallel.js";
import { SliceCutter } from "./slices.js";

export class ParallelHistograms implements PeriodHistograms {
  private readonly cutter: SliceCutter;
  private readonly workers: SliceWorkers;
  private readonly shapes: ReturnType<typeof fineHistograms>;
  private period = 0;
  private firstPs: number | undefined;
  private lastPs = 0;

  /**
   * `correlated(tags)` is told as the workers finish slices (or a dropped period's slices are let
   * go): the backlog of tags handed over but not yet correlated.
   */
  constructor(
    settings: LiveSettings,
    threads: number,
    workerUrl: URL,
    private readonly correlated: (tags: number) => void,
    onError: (err: Error) => void,
  ) {
    this.shapes = fineHistograms(settings);
    this.cutter = new SliceCutter(Math.max(...this.shapes.map((h) => h.windowPs), 1));
    this.workers = new SliceWorkers(
      this.shapes,
      threads,
      workerUrl,
      (buffer, tags) => {
        this.cutter.recycle(buffer);
        correlated(tags);
      },
      onError,
    );
  }

  push(channels: Uint8Array, timesPs: Float64Array): void {
    if (channels.length === 0) return;
    this.firstPs ??= timesPs[0]!;
    this.lastPs = timesPs[timesPs.length - 1]!;
    // With no histogram configured, nothing to pair: the tags count as correlated at once.
    if (this.shapes.length === 0) this.correlated(channels.length);
    else for (const job of this.cutter.push({ channels, timesPs })) this.workers.send(job);
  }

  end(done: (histograms: CorrelationHistogram[]) => void): void {
    for (const job of this.cutter.end()) this.workers.send(job);
    const spanPs = this.firstPs === undefined ? 0 : this.lastPs - this.firstPs;
    this.firstPs = undefined;
    const shapes = this.shapes;
    this.workers.finish(this.period++).then(
      (sums) =>
        done(
          shapes.map((h, k) => ({
            channels: [h.channelA, h.channelB],
            windowPs: h.windowPs,
            binPs: h.binPs,
            counts: sums[k]!.counts,
            singles: sums[k]!.singles,
            spanPs,
          })),
        ),
      // A worker failed: the pool reported it (onError); this period has no histograms.
      () => {},
    );
  }

  discard(): void {
    let dropped = 0;
    for (const job of this.cutter.end()) {
      dropped += job.slice.channels.length;
      this.cutter.recycle(job.slice.timesPs.buffer as ArrayBuffer);
    }
    if (dropped > 0) this.correlated(dropped);
    this.workers.discard();
    this.firstPs = undefined;
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}
