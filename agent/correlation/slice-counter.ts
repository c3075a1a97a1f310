/**
 * Counting slices (slices.ts) into histograms: each slice's A events paired with the B events of
 * the slice and its context, for every histogram of the run, the counts kept until taken. Used by
 * the slice workers, and by a thread that shares their work (parallel.ts).
 */
import { PairEngine } from "./pair-kernel.js";
import type { SliceJob } from "./slices.js";
import { ChannelTally } from "./tally.js";

export interface SliceHistogram {
  channelA: number;
  channelB: number;
  windowPs: number;
  /** The histogram's bin, ps (the fine one). */
  binPs: number;
}

export interface SliceCounts {
  histograms: Array<{ counts: Float64Array; singles: [number, number] }>;
  /** Tags per channel (0–255) of the slices counted (their context not included). */
  tagsPerChannel: Float64Array;
}

export class SliceCounter {
  private readonly engines: PairEngine[];
  private readonly tally = new ChannelTally();

  constructor(histograms: SliceHistogram[]) {
    this.engines = histograms.map((h) => new PairEngine(h.channelA, h.channelB, h.windowPs, h.binPs));
  }

  count({ before, slice, after }: SliceJob): void {
    const last = after.timesPs.at(-1) ?? slice.timesPs.at(-1);
    for (const engine of this.engines) {
      engine.clearTimes();
      engine.push(before.channels, before.timesPs, true);
      engine.push(slice.channels, slice.timesPs);
      engine.push(after.channels, after.timesPs, true);
      if (last !== undefined) engine.finish(last);
    }
    this.tally.add(slice.channels);
  }

  /** The counts so far (copies), and a fresh start. */
  take(): SliceCounts {
    const out: SliceCounts = {
      histograms: this.engines.map((e) => ({
        counts: Float64Array.from(e.counts()),
        singles: [...e.singles] as [number, number],
      })),
      tagsPerChannel: this.tally.perChannel(),
    };
    this.discard();
    return out;
  }

  discard(): void {
    for (const e of this.engines) e.reset();
    this.tally.clear();
  }
}
