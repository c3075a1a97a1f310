/**
 * The live engine's histograms on several cores: each integration period's stream is cut into
 * slices with the widest window's context (slices.ts) and paired by `threads` threads — this one
 * (the correlation worker, whose own per-tag work is light) and `threads − 1` slice workers
 * (parallel.ts) — every configured histogram in each; at the period's end the counts are summed,
 * equal bin for bin to one thread's. Pairs never cross a period boundary, as on one thread. The
 * agent's main thread only hands over tags.
 */
import type { CorrelationHistogram } from "./cross-correlation.js";
import type { LiveSettings } from "./live-engine.js";
import { SliceWorkers } from "./parallel.js";
import { fineHistograms, type PeriodHistograms } from "./period-histograms.js";
import { SliceCutter } from "./slices.js";
import { StreamSpan } from "./stream-span.js";

export class ParallelHistograms implements PeriodHistograms {
  private readonly cutter: SliceCutter;
  private readonly workers: SliceWorkers;
  private readonly shapes: ReturnType<typeof fineHistograms>;
  private period = 0;
  private readonly span = new StreamSpan();

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
    // This thread is one of the `threads`: it counts a slice itself whenever the others are busy.
    this.workers = new SliceWorkers(
      this.shapes,
      threads - 1,
      workerUrl,
      (buffer, tags) => {
        this.cutter.recycle(buffer);
        correlated(tags);
      },
      onError,
      true,
    );
  }

  push(channels: Uint8Array, timesPs: Float64Array, offsetPs: number): void {
    if (!this.span.add(timesPs, offsetPs)) return;
    // Even with no histogram configured the slices go round: the rates come from their tallies.
    for (const job of this.cutter.push({ channels, timesPs }, offsetPs)) this.workers.send(job);
  }

  end(done: (histograms: CorrelationHistogram[], tagsPerChannel: Float64Array) => void): void {
    for (const job of this.cutter.end()) this.workers.send(job);
    const spanPs = this.span.spanPs;
    this.span.reset();
    const shapes = this.shapes;
    this.workers.finish(this.period++).then(
      (sums) =>
        done(
          shapes.map((h, k) => ({
            channels: [h.channelA, h.channelB],
            windowPs: h.windowPs,
            binPs: h.binPs,
            counts: sums.histograms[k]!.counts,
            singles: sums.histograms[k]!.singles,
            spanPs,
          })),
          sums.tagsPerChannel,
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
    this.span.reset();
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}
