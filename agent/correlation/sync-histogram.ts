/**
 * Photon arrival against the excitation sync, per channel: the T3 dtime, or in T2 files that carry
 * the sync as events, the time since the last sync. From it: the emitter's lifetime (exponential
 * tail) and the FWHM of the peak — the timing jitter (IRF) when the light is the laser itself.
 */
import type { DecodedChunk } from "./readers/ptu-records.js";
import { SYNC_CHANNEL } from "./readers/ptu-records.js";

export class SyncHistogram {
  /** counts per channel; bin i holds delays in [i·bin, (i+1)·bin). */
  readonly counts = new Map<number, Float64Array>();
  private lastSyncPs: number | undefined;
  /** Photons whose delay fell beyond the histogram (two sync periods): counted, never binned. */
  beyondRange = 0;
  private readonly bins: number;

  constructor(
    readonly binPs: number,
    readonly periodPs: number,
  ) {
    if (!(binPs > 0) || !(periodPs > binPs))
      throw new RangeError(`sync histogram: bin ${binPs} ps, period ${periodPs} ps`);
    // T3 dtimes may run a little past the period (the reader refuses beyond twice it).
    this.bins = Math.ceil((2 * periodPs) / binPs);
  }

  /**
   * A histogram for a stream, once a chunk shows it carries the sync: T3 dtimes (the period from
   * the header), or T2 sync events (the period: the median gap between this chunk's syncs).
   * Bins are the stream's resolution, coarser only to stay under 2^16 per period.
   */
  static forChunk(
    chunk: DecodedChunk,
    resolutionPs: number,
    headerPeriodPs?: number,
  ): SyncHistogram | undefined {
    let periodPs = headerPeriodPs;
    if (!chunk.dtimesPs) {
      const syncs: number[] = [];
      for (let i = 0; i < chunk.channels.length && syncs.length < 101; i++)
        if (chunk.channels[i] === SYNC_CHANNEL) syncs.push(chunk.timesPs[i]!);
      if (syncs.length < 3) return undefined;
      const gaps = syncs
        .slice(1)
        .map((t, i) => t - syncs[i]!)
        .sort((a, b) => a - b);
      periodPs = gaps[gaps.length >> 1]!;
    }
    if (!periodPs) return undefined;
    return new SyncHistogram(Math.max(resolutionPs, Math.ceil(periodPs / 65_536)), periodPs);
  }

  push(chunk: DecodedChunk): void {
    const { channels, timesPs, dtimesPs } = chunk;
    for (let i = 0; i < channels.length; i++) {
      const ch = channels[i]!;
      if (ch === SYNC_CHANNEL) {
        this.lastSyncPs = timesPs[i]!;
        continue;
      }
      let delay: number;
      if (dtimesPs) delay = dtimesPs[i]!;
      else if (this.lastSyncPs === undefined) continue;
      else delay = timesPs[i]! - this.lastSyncPs;
      const bin = Math.floor(delay / this.binPs);
      if (bin >= this.bins) {
        this.beyondRange++;
        continue;
      }
      let counts = this.counts.get(ch);
      if (!counts) {
        counts = new Float64Array(this.bins);
        this.counts.set(ch, counts);
      }
      counts[bin]!++;
    }
  }
}

export interface DecayFit {
  photons: number;
  /** Delay of the histogram's maximum (bin centre), ps. */
  peakPs: number;
  /** Full width at half maximum above background, linearly interpolated, ps. */
  fwhmPs: number;
  /** Counts per bin far from the peak (the lowest 10 %-of-range stretch). */
  backgroundPerBin: number;
  /** 1/e time of the exponential tail, ps; absent if the tail is too short or flat to fit. */
  lifetimePs?: number;
  lifetimeErrorPs?: number;
  /** Where the tail fit starts and ends, ps. */
  fitFromPs?: number;
  fitToPs?: number;
}

/**
 * Lifetime: the maximum-likelihood decay time of the background-subtracted tail, fitted from two
 * FWHM past the peak (clear of the IRF) to where its running mean falls to 1 % of the peak. For an
 * exponential truncated to [0, T] the mean delay m satisfies m = τ − T/(e^{T/τ} − 1); it is
 * solved for τ by bisection, and σ_τ ≈ τ/√N.
 */
export function fitDecay(counts: Float64Array, binPs: number): DecayFit | undefined {
  let last = counts.length - 1;
  while (last > 0 && counts[last] === 0) last--;
  const photons = counts.reduce((a, b) => a + b, 0);
  if (photons === 0) return undefined;
  let peak = 0;
  for (let i = 1; i <= last; i++) if (counts[i]! > counts[peak]!) peak = i;
  const stretch = Math.max(1, Math.floor((last + 1) / 10));
  let windowSum = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= last; i++) {
    windowSum += counts[i]!;
    if (i >= stretch) windowSum -= counts[i - stretch]!;
    if (i >= stretch - 1) lowest = Math.min(lowest, windowSum);
  }
  const background = lowest / stretch;
  const top = counts[peak]! - background;
  const half = background + top / 2;
  let left = peak;
  while (left > 0 && counts[left - 1]! > half) left--;
  let right = peak;
  while (right < last && counts[right + 1]! > half) right++;
  // Interpolate each crossing between the last bin above half and the first below.
  const cross = (inside: number, outside: number) => {
    const a = counts[inside]!;
    const b = counts[outside] ?? background;
    return inside + ((a - half) / (a - b || 1)) * (outside - inside);
  };
  const fwhmBins = cross(right, right + 1) - cross(left, left - 1);
  const fit: DecayFit = {
    photons,
    peakPs: (peak + 0.5) * binPs,
    fwhmPs: fwhmBins * binPs,
    backgroundPerBin: background,
  };
  const from = peak + Math.ceil(2 * fwhmBins);
  // The tail ends where it falls to 1 % of the peak, judged on a running mean so that one noisy
  // bin does not end it early.
  const smooth = Math.max(8, Math.round(fwhmBins));
  let to = from;
  let running = 0;
  for (let i = from; i < Math.min(last + 1, from + smooth); i++) running += counts[i]! - background;
  while (to + smooth <= last && running > 0.01 * top * smooth) {
    running += counts[to + smooth]! - counts[to]!;
    to++;
  }
  to += smooth >> 1;
  if (to - from < 8) return fit;
  let n = 0;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const w = Math.max(0, counts[i]! - background);
    n += w;
    sum += w * (i - from + 0.5);
  }
  const mean = sum / n;
  const span = to - from;
  if (!(n > 0) || mean >= 0.49 * span) return fit;
  const meanOf = (tau: number) => tau - span / Math.expm1(span / tau);
  let lo = 1e-6;
  let hi = 1e6 * span;
  for (let k = 0; k < 200; k++) {
    const mid = Math.sqrt(lo * hi);
    if (meanOf(mid) < mean) lo = mid;
    else hi = mid;
  }
  const tauBins = Math.sqrt(lo * hi);
  return {
    ...fit,
    lifetimePs: tauBins * binPs,
    lifetimeErrorPs: (tauBins * binPs) / Math.sqrt(n),
    fitFromPs: from * binPs,
    fitToPs: to * binPs,
  };
}
