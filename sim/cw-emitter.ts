/**
 * A CW single emitter whose g2 is known exactly, for checking the CW measurements: a renewal
 * process whose interval between emissions is Exp(R) + Exp(Γ) — wait to be excited at rate R,
 * then decay at rate Γ. Its renewal density is h(τ) = λ(1 − e^{−(R+Γ)τ}) with λ = RΓ/(R+Γ), so
 *
 *     g2(τ) = 1 − exp(−(R + Γ)|τ|)      exactly, g2(0) = 0.
 *
 * Each photon independently goes to detector i with probability `efficiency` (the splitter, the
 * optics and the detector together) or is lost; independent thinning and routing keep the
 * cross-correlation equal to g2(τ). Each detection then gets the detector's Gaussian jitter
 * (the cross-correlation is convolved with N(0, σ_A² + σ_B²)) and its fixed delay (the dip moves to
 * τ0 = delay_B − delay_A), and each detector adds Poisson background at `backgroundCps`, so that
 * the measured g2 = 1 − ρ_Aρ_B·(the jittered dip) with ρ = S/(S + B). No dead time (it would
 * reshape the correlation), times rounded to whole picoseconds.
 *
 * With no efficiency at all (or an excitation rate of 0) the detectors see only their background:
 * independent Poisson streams, g2 = 1.
 */
import type { Rng } from "./random.js";

export interface CwDetector {
  channel: number;
  /** Probability that an emitted photon is detected here (splitter × optics × detector). */
  efficiency: number;
  jitterSigmaPs: number;
  delayPs: number;
  backgroundCps: number;
}

export interface CwEmitter {
  /** Excitation rate R, Hz. */
  excitationRateHz: number;
  /** Decay rate Γ = 1/lifetime, Hz. */
  decayRateHz: number;
  detectors: readonly CwDetector[];
}

export interface TagBlock {
  channels: Uint8Array;
  timesPs: Float64Array;
}

/** Emitted photons per second, λ = RΓ/(R + Γ). */
export function emissionRateHz(e: CwEmitter): number {
  const sum = e.excitationRateHz + e.decayRateHz;
  return sum > 0 ? (e.excitationRateHz * e.decayRateHz) / sum : 0;
}

/** Signal (photons) and total (with background) rate of detector i, cps. */
export function detectorRatesCps(e: CwEmitter, i: number): { signalCps: number; totalCps: number } {
  const d = e.detectors[i]!;
  const signalCps = emissionRateHz(e) * d.efficiency;
  return { signalCps, totalCps: signalCps + d.backgroundCps };
}

/** Gamma(shape k, scale 1) for a whole k ≥ 1 (Marsaglia & Tsang, ACM TOMS 26 (2000) 363). */
function gamma(rng: Rng, k: number): number {
  if (k === 1) return -Math.log(1 - rng.uniform());
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Sorts a nearly sorted run in place (insertion sort: linear in the number of inversions). */
function sortNearlySorted(times: number[]): void {
  for (let i = 1; i < times.length; i++) {
    const t = times[i]!;
    let j = i - 1;
    while (j >= 0 && times[j]! > t) {
      times[j + 1] = times[j]!;
      j--;
    }
    times[j + 1] = t;
  }
}

/** Merges two ascending lists. */
function mergeTwo(x: number[], y: number[]): number[] {
  const out = new Array<number>(x.length + y.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < x.length && j < y.length) out[k++] = x[i]! <= y[j]! ? x[i++]! : y[j++]!;
  while (i < x.length) out[k++] = x[i++]!;
  while (j < y.length) out[k++] = y[j++]!;
  return out;
}

/**
 * The tags of [0, durationPs) in time order, in blocks of `blockPs` of emission time (constant
 * memory for any duration). Tags jittered before 0 or past the end are left out.
 */
export function* cwEmitterTags(
  rng: Rng,
  e: CwEmitter,
  durationPs: number,
  blockPs = 0.1e12,
): Generator<TagBlock> {
  const detectorCount = e.detectors.length;
  const pDetect = e.detectors.reduce((s, d) => s + d.efficiency, 0);
  if (!(pDetect <= 1)) throw new RangeError(`detector efficiencies add up to ${pDetect}, above 1`);
  const emitting = pDetect > 0 && e.excitationRateHz > 0 && e.decayRateHz > 0;
  const meanExcitePs = 1e12 / e.excitationRateHz;
  const meanDecayPs = 1e12 / e.decayRateHz;
  // The next detected emission: geometric skips over the undetected ones, whose G intervals add up
  // to Gamma(G)·(1/R) + Gamma(G)·(1/Γ) — exactly the sum of G intervals, drawn at once.
  const after = (t: number) => {
    const g = rng.geometric(pDetect);
    return t + gamma(rng, g) * meanExcitePs + gamma(rng, g) * meanDecayPs;
  };
  let nextEmissionPs = emitting ? after(0) : Number.POSITIVE_INFINITY;
  const nextBackgroundPs = e.detectors.map((d) =>
    d.backgroundCps > 0 ? rng.exponential(1e12 / d.backgroundCps) : Number.POSITIVE_INFINITY,
  );
  // A tag of a later block lands at least this late: its emission is ≥ the block end.
  const minShiftPs = Math.min(...e.detectors.map((d) => d.delayPs - 12 * d.jitterSigmaPs));
  let pending: number[][] = e.detectors.map(() => []);
  for (let from = 0; from < durationPs; from += blockPs) {
    const to = Math.min(durationPs, from + blockPs);
    const signal = pending;
    for (; nextEmissionPs < to; nextEmissionPs = after(nextEmissionPs)) {
      let u = rng.uniform() * pDetect;
      let i = 0;
      while (i < detectorCount - 1 && u >= e.detectors[i]!.efficiency) u -= e.detectors[i++]!.efficiency;
      const d = e.detectors[i]!;
      signal[i]!.push(Math.round(nextEmissionPs + d.delayPs + d.jitterSigmaPs * rng.normal()));
    }
    const last = to >= durationPs;
    // Final below `to + minShift` (no later emission lands there); the rest waits for the next block.
    const finalBelow = last ? durationPs : to + minShiftPs;
    pending = e.detectors.map(() => []);
    const streams = e.detectors.map((d, i) => {
      const jittered = signal[i]!;
      sortNearlySorted(jittered);
      const background: number[] = [];
      for (; nextBackgroundPs[i]! < to; nextBackgroundPs[i]! += rng.exponential(1e12 / d.backgroundCps))
        background.push(Math.floor(nextBackgroundPs[i]!));
      const list = mergeTwo(jittered, background);
      let cut = list.length;
      while (cut > 0 && list[cut - 1]! >= finalBelow) cut--;
      if (!last) pending[i] = list.slice(cut);
      let start = 0;
      while (start < cut && list[start]! < 0) start++;
      return list.slice(start, cut);
    });
    yield merge(streams, e.detectors);
  }
}

/** Merges sorted per-detector streams into one time-ordered block. */
function merge(streams: number[][], detectors: readonly CwDetector[]): TagBlock {
  const total = streams.reduce((s, x) => s + x.length, 0);
  const channels = new Uint8Array(total);
  const timesPs = new Float64Array(total);
  const at = streams.map(() => 0);
  for (let k = 0; k < total; k++) {
    let best = -1;
    for (let i = 0; i < streams.length; i++)
      if (at[i]! < streams[i]!.length && (best < 0 || streams[i]![at[i]!]! < streams[best]![at[best]!]!))
        best = i;
    timesPs[k] = streams[best]![at[best]!++]!;
    channels[k] = detectors[best]!.channel;
  }
  return { channels, timesPs };
}

/**
 * The CW bench case the tests and benchmarks share: a two-level emitter, R = 0.2 GHz and
 * Γ = 0.8 GHz (t = 1/(R+Γ) = 1 ns), 2.4 Mcps of photons and 0.1 Mcps of background on each of two
 * detectors, σ = 25 ps each, the second detector `delayPs` late (cables).
 */
export function singleEmitter(channels: [number, number] = [0, 1], delayPs = 7300): CwEmitter {
  return {
    excitationRateHz: 0.2e9,
    decayRateHz: 0.8e9,
    detectors: channels.map((channel, i) => ({
      channel,
      efficiency: 0.015,
      jitterSigmaPs: 25,
      delayPs: i === 0 ? 0 : delayPs,
      backgroundCps: 1e5,
    })),
  };
}

/** Independent Poisson streams at `rateCps` on each channel: g2 = 1. */
export function poissonStreams(rateCps: number, channels: [number, number] = [0, 1]): CwEmitter {
  return {
    excitationRateHz: 0,
    decayRateHz: 1,
    detectors: channels.map((channel) => ({
      channel,
      efficiency: 0,
      jitterSigmaPs: 0,
      delayPs: 0,
      backgroundCps: rateCps,
    })),
  };
}
