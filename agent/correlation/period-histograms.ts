/**
 * Where the live engine counts each integration period's histograms and tags per channel: on its
 * own thread (LocalHistograms), or shared with slice workers (live-parallel.ts).
 */
import { type CorrelationHistogram, CrossCorrelator, fineBinPs } from "./cross-correlation.js";
import type { LiveSettings } from "./live-engine.js";
import { ChannelTally } from "./tally.js";

/**
 * Where a period's histograms are counted: on this thread (LocalHistograms), or on a pool of
 * worker threads (live-parallel.ts). Times are relative to the engine's base epoch.
 */
export interface PeriodHistograms {
  /** Events of the period: tag i at timesPs[i] + offsetPs. */
  push(channels: Uint8Array, timesPs: Float64Array, offsetPs: number): void;
  /**
   * The period ends: `done` gets its fine histograms, in the settings' order, and its tags per
   * channel (now, or once the workers have them).
   */
  end(done: (histograms: CorrelationHistogram[], tagsPerChannel: Float64Array) => void): void;
  /** The period is dropped (the stream went back in time). */
  discard(): void;
}

/** The histograms of each configured pair, at the fine bin g2(0) is read on (fineBinPs). */
export function fineHistograms(settings: LiveSettings) {
  return settings.histograms.map((h) => ({
    channelA: h.a.channel,
    channelB: h.b.channel,
    windowPs: h.windowPs,
    binPs: fineBinPs(h.windowPs, h.binPs),
  }));
}

/** The period's histograms counted on this thread, by correlators kept from period to period. */
export class LocalHistograms implements PeriodHistograms {
  private readonly correlators: CrossCorrelator[];
  private readonly tally = new ChannelTally();

  constructor(settings: LiveSettings) {
    this.correlators = fineHistograms(settings).map(
      (h) => new CrossCorrelator(h.channelA, h.channelB, h.windowPs, h.binPs),
    );
  }

  push(channels: Uint8Array, timesPs: Float64Array, offsetPs: number): void {
    for (const c of this.correlators) c.push(channels, timesPs, offsetPs);
    this.tally.add(channels);
  }

  end(done: (histograms: CorrelationHistogram[], tagsPerChannel: Float64Array) => void): void {
    // The counts are copied out: the correlators start the next period afresh in the same arrays.
    const histograms = this.correlators.map((c) => {
      const h = c.histogram();
      return { ...h, counts: Float64Array.from(h.counts) };
    });
    const tags = this.tally.perChannel();
    this.discard();
    done(histograms, tags);
  }

  discard(): void {
    this.tally.clear();
    for (const c of this.correlators) c.reset();
  }
}
