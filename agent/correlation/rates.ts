/**
 * Count rates and what follows from them: dead-time correction, the saturation flag, brightness
 * per excitation pulse, and heralding efficiency from a herald–signal correlation.
 */
import type { CorrelationHistogram } from "./cross-correlation.js";

export interface ChannelRate {
  photons: number;
  rateCps: number;
  /** Non-paralysable dead time τd: true rate n/(1 − n·τd); absent without a dead time. */
  correctedRateCps?: number;
  /** Fraction of the time the detector was dead, n·τd. */
  deadFraction?: number;
  /** The detector was dead for more than `SATURATION_DEAD_FRACTION` of the time. */
  saturated: boolean;
}

/** Above this dead fraction the correction itself is unreliable (afterpulsing, latching): flag it. */
export const SATURATION_DEAD_FRACTION = 0.1;

export function channelRate(photons: number, durationS: number, deadTimePs?: number): ChannelRate {
  const rateCps = durationS > 0 ? photons / durationS : 0;
  if (deadTimePs === undefined || deadTimePs <= 0) return { photons, rateCps, saturated: false };
  const deadFraction = rateCps * deadTimePs * 1e-12;
  return {
    photons,
    rateCps,
    correctedRateCps: deadFraction < 1 ? rateCps / (1 - deadFraction) : Number.POSITIVE_INFINITY,
    deadFraction,
    saturated: deadFraction > SATURATION_DEAD_FRACTION,
  };
}

export interface Brightness {
  /** Detected photons per excitation pulse. */
  detectedPerPulse: number;
  /** Photons per pulse at the first lens: detected (dead-time corrected) / set-up efficiency. */
  atFirstLensPerPulse?: number;
}

/** `rateCps` should be the dead-time-corrected rate when known; `setupEfficiency` is first lens → detector click. */
export function brightness(rateCps: number, syncRateHz: number, setupEfficiency?: number): Brightness {
  if (!(syncRateHz > 0)) throw new RangeError(`brightness needs the sync rate, got ${syncRateHz} Hz`);
  const detectedPerPulse = rateCps / syncRateHz;
  return {
    detectedPerPulse,
    ...(setupEfficiency && setupEfficiency > 0
      ? { atFirstLensPerPulse: detectedPerPulse / setupEfficiency }
      : {}),
  };
}

export interface Heralding {
  heraldSingles: number;
  coincidences: number;
  /** Expected uncorrelated coincidences in the same window, N_h·N_s·window/T. */
  accidentals: number;
  /** (coincidences − accidentals) / herald singles. */
  efficiency: number;
  /** Binomial error of the efficiency with the accidentals' Poisson error. */
  efficiencyError: number;
}

/**
 * Heralding efficiency from the herald–signal histogram: coincidences in the bins wholly within
 * `delayPs ± windowPs/2`, less accidentals, over the herald's singles. `herald` says which of the
 * histogram's two channels heralds.
 */
export function heraldingEfficiency(
  h: CorrelationHistogram,
  herald: 0 | 1,
  delayPs: number,
  windowPs: number,
): Heralding {
  const lo = delayPs - windowPs / 2;
  const hi = delayPs + windowPs / 2;
  let coincidences = 0;
  let bins = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const start = -h.windowPs + i * h.binPs;
    if (start >= lo && start + h.binPs <= hi) {
      coincidences += h.counts[i]!;
      bins++;
    }
  }
  if (bins === 0)
    throw new RangeError(`heralding window ${delayPs} ± ${windowPs / 2} ps holds no whole ${h.binPs} ps bin`);
  const heraldSingles = h.singles[herald];
  if (heraldSingles === 0) throw new RangeError("no herald events: heralding efficiency is undefined");
  const accidentals = h.spanPs > 0 ? (h.singles[0] * h.singles[1] * bins * h.binPs) / h.spanPs : 0;
  const efficiency = (coincidences - accidentals) / heraldSingles;
  const p = Math.min(1, Math.max(0, efficiency));
  return {
    heraldSingles,
    coincidences,
    accidentals,
    efficiency,
    efficiencyError: Math.sqrt((p * (1 - p)) / heraldSingles + accidentals / heraldSingles ** 2),
  };
}
