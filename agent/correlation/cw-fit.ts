/**
 * Finding the CW zero delay: a fit of g2(τ) = c·[1 − a·e^{−|τ−τ0|/t} ⊛ N(0, σ²)] to the
 * cross-correlation histogram — an antibunching dip (a > 0) or a bunching peak (a < 0) at the
 * delay τ0 that the cables put it, smoothed by the detectors' timing response σ. The counts are
 * Poisson: the fit maximises the Poisson likelihood (poisson-fit.ts; each model bin is the exact
 * bin average, cw-model.ts), and the errors come from the inverse Fisher information at the optimum. g2(0) from the fit is 1 − a: the source's own value relative to the
 * baseline c, with the timing jitter taken out (uncorrelated background is not: see ρ in cw-g2).
 *
 * The starting point comes from a matched-filter scan: box sums of 1, 2, 4, … bins across the
 * histogram; the most significant departure from the flat level (the median, or for sparse data
 * the accidentals N_A·N_B·Δτ/T) gives τ0, the width and the sign. Below FEATURE_SIGNIFICANCE standard deviations there is no feature to fit (independent
 * streams, or too few counts), and the fit says so instead of fitting noise.
 */
import type { CorrelationHistogram } from "./cross-correlation.js";
import { featureIntegral, featureShape } from "./cw-model.js";
import { type BinnedModel, fitPoisson } from "./poisson-fit.js";

export interface CwFit {
  zeroDelayPs: number;
  zeroDelayErrorPs: number;
  /** Depth of the feature relative to the baseline: 1 for perfect antibunching, negative for bunching. */
  amplitude: number;
  amplitudeError: number;
  /** 1/e width t of the exponential, ps (1/(R + Γ) for a two-level emitter excited at rate R). */
  widthPs: number;
  widthErrorPs: number;
  /**
   * σ of the combined timing response of the two detectors, ps. When the response is far narrower
   * than the feature and the fit's bins it leaves no trace: then it is held at half a fine bin and
   * `jitterResolved` is false.
   */
  jitterSigmaPs: number;
  jitterSigmaErrorPs: number;
  jitterResolved: boolean;
  /** The far level c of g2(τ) (1 for an ideal stream; above 1 for a blinking emitter). */
  baseline: number;
  baselineError: number;
  /** 1 − a: g2(0) of the source relative to the baseline, timing jitter removed. */
  g2Zero: number;
  g2ZeroError: number;
  /** a / its error. */
  significance: number;
  /** The fitted stretch and its bins. */
  fromPs: number;
  toPs: number;
  fitBinPs: number;
  /** Pearson χ² per degree of freedom (≈ 1 when the model holds). */
  chi2PerDof: number;
}

export type CwFeature = { found: true; fit: CwFit } | { found: false; reason: string };

/** A departure from the flat level must stand this many σ above the noise to be a feature. */
export const FEATURE_SIGNIFICANCE = 6;
/** Bins the matched-filter scan runs on. */
const SCAN_BINS = 4096;
/** The most fit bins (cost), and how far beyond the feature the fit reaches (in widths). */
const MAX_FIT_BINS = 2000;
const REACH_WIDTHS = 25;

interface Guess {
  zeroDelayPs: number;
  widthPs: number;
  amplitude: number;
  significance: number;
}

/** Sums groups of `factor` bins (a trailing partial group is left out). */
function grouped(counts: Float64Array, factor: number, from = 0, to = counts.length): Float64Array {
  const n = Math.floor((to - from) / factor);
  const out = new Float64Array(n);
  for (let i = 0; i < n * factor; i++) out[Math.floor(i / factor)]! += counts[from + i]!;
  return out;
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[sorted.length >> 1]!;
}

/** The matched-filter scan: where the histogram departs most significantly from its median level. */
function scan(h: CorrelationHistogram): Guess | undefined {
  const factor = Math.max(1, Math.ceil(h.counts.length / SCAN_BINS));
  const coarse = grouped(h.counts, factor);
  const binPs = factor * h.binPs;
  // The flat level: the median where the bins hold enough counts for it to mean something, else
  // (sparse data, most bins empty) the uncorrelated level N_A·N_B·Δτ/T itself.
  const accidentals = ((h.singles[0] * h.singles[1]) / h.spanPs) * binPs;
  const level = accidentals >= 20 ? median(coarse) : accidentals;
  if (!(level > 0) || coarse.length < 16) return undefined;
  let best: { z: number; centre: number; k: number; sum: number } | undefined;
  for (let k = 1; k <= coarse.length / 8; k *= 2) {
    // Boxes expecting fewer than 20 counts are left out: there a Poisson tail is no Gaussian one,
    // and a handful of pairs would pass for a 6σ feature.
    if (k * level < 20) continue;
    let sum = 0;
    for (let i = 0; i < coarse.length; i++) {
      sum += coarse[i]!;
      if (i >= k) sum -= coarse[i - k]!;
      if (i < k - 1) continue;
      const z = (sum - k * level) / Math.sqrt(k * level);
      if (!best || Math.abs(z) > Math.abs(best.z)) best = { z, centre: i + 1 - k / 2, k, sum };
    }
  }
  if (!best) return undefined;
  const depth = 1 - best.sum / (best.k * level);
  return {
    zeroDelayPs: -h.windowPs + best.centre * binPs,
    // A box about 2.5 widths wide matches a two-sided exponential best.
    widthPs: Math.max(h.binPs, (best.k * binPs) / 2.5),
    // The box averages the feature down: about 0.6 of its depth.
    amplitude: Math.max(-10, Math.min(0.99, depth / 0.6)),
    significance: Math.abs(best.z),
  };
}

/** Parameters: c, a, τ0, ln t, ln σ. */
type Params = [number, number, number, number, number];

interface FitData {
  /** Left edge of each fit bin, ps; all bins `widthPs` wide. */
  edgesPs: Float64Array;
  counts: Float64Array;
  binPs: number;
  /** Pairs per ps at g2 = 1: N_A·N_B / T. */
  pairsPerPs: number;
}

/** The CW model on the fit data: parameters c, a, τ0, ln t, ln σ; each bin the exact bin average. */
function cwModel(d: FitData): BinnedModel {
  const integral = (q: readonly number[], j: number) => {
    const lo = d.edgesPs[j]! - q[2]!;
    return featureIntegral(lo, lo + d.binPs, Math.exp(q[3]!), Math.exp(q[4]!));
  };
  return {
    expected(q, mu) {
      const [c, a] = q as Params;
      if (!(c > 0)) return false;
      for (let j = 0; j < d.counts.length; j++) {
        const m = d.pairsPerPs * c * (d.binPs - a * integral(q, j));
        if (!(m > 0)) return false;
        mu[j] = m;
      }
      return true;
    },
    // μ is proportional to c, and linear in a: ∂μ/∂a = −(pairs/ps)·c·∫shape.
    derivative(q, p, mu, out) {
      if (p === 0) for (let j = 0; j < mu.length; j++) out[j] = mu[j]! / q[0]!;
      else if (p === 1) for (let j = 0; j < mu.length; j++) out[j] = -d.pairsPerPs * q[0]! * integral(q, j);
      return p <= 1;
    },
    step: (q, p) => (p === 2 ? Math.max(1e-3, 1e-4 * Math.exp(q[3]!)) : 1e-5),
  };
}

/** The fit data: fine bins grouped `group` at a time over [fromBin, toBin). */
function fitData(h: CorrelationHistogram, fromBin: number, toBin: number, group: number): FitData {
  const counts = grouped(h.counts, group, fromBin, toBin);
  const binPs = group * h.binPs;
  const edgesPs = Float64Array.from(counts, (_, j) => -h.windowPs + fromBin * h.binPs + j * binPs);
  return { edgesPs, counts, binPs, pairsPerPs: (h.singles[0] * h.singles[1]) / h.spanPs };
}

/**
 * The fit data around a guess: a stretch of REACH_WIDTHS widths each side (enough baseline to pin
 * c), in bins as fine as MAX_FIT_BINS allow — fine enough to see the jitter where the counts do.
 */
function dataAround(h: CorrelationHistogram, g: Guess): FitData {
  const reachPs = Math.max(REACH_WIDTHS * g.widthPs, 40 * h.binPs);
  const fromBin = Math.max(0, Math.floor((g.zeroDelayPs - reachPs + h.windowPs) / h.binPs));
  const toBin = Math.min(h.counts.length, Math.ceil((g.zeroDelayPs + reachPs + h.windowPs) / h.binPs));
  return fitData(h, fromBin, toBin, Math.max(1, Math.ceil((toBin - fromBin) / MAX_FIT_BINS)));
}

/** The fit on `d` from a guess, with the jitter σ free (from `sigmaPs`) or held at `sigmaPs`. */
function fitFrom(d: FitData, g: Guess, sigmaPs: number, jitterFree: boolean) {
  const level = d.counts.reduce((s, x) => s + x, 0) / (d.counts.length * d.binPs * d.pairsPerPs);
  const start: Params = [
    level > 0 ? level : 1,
    g.amplitude,
    g.zeroDelayPs,
    Math.log(g.widthPs),
    Math.log(sigmaPs),
  ];
  const result = fitPoisson(d.counts, cwModel(d), start, jitterFree ? [0, 1, 2, 3, 4] : [0, 1, 2, 3]);
  return result && { ...result, q: result.q as Params, d };
}

/** A jitter that lowers the deviance by less than this (3σ for one parameter) is not resolved. */
const JITTER_DEVIANCE_GAIN = 9;

/**
 * Fits the CW feature of a histogram (fine bins: a few ps suffice). Returns why not when there
 * is no significant feature, or the fit does not converge.
 *
 * First with the jitter held far below the bins (it then plays no part), refined once around what
 * that fit finds; then with σ free on the same bins, kept only when it lowers the deviance by
 * JITTER_DEVIANCE_GAIN or more — with few counts a free σ otherwise trades off against the depth a
 * and inflates both.
 */
export function fitCwFeature(h: CorrelationHistogram): CwFeature {
  if (!(h.spanPs > 0) || h.singles[0] === 0 || h.singles[1] === 0)
    return { found: false, reason: "no data to fit" };
  const guess = scan(h);
  if (!guess || guess.significance < FEATURE_SIGNIFICANCE)
    return {
      found: false,
      reason: `no antibunching dip or bunching peak stands out of the noise (largest departure ${(guess?.significance ?? 0).toFixed(1)}σ, needs ${FEATURE_SIGNIFICANCE}σ)`,
    };
  const unresolvedPs = h.binPs / 2;
  let g = guess;
  let result = fitFrom(dataAround(h, g), g, unresolvedPs, false);
  // Once more around the fitted feature: the scan's width is only a first guess.
  for (let round = 0; round < 2 && result; round++) {
    const [, a, tau0, lnT] = result.q;
    const widthPs = Math.exp(lnT);
    if (!(Math.abs(tau0) <= h.windowPs)) break;
    const settled = Math.abs(widthPs / g.widthPs - 1) < 0.5 && Math.abs(tau0 - g.zeroDelayPs) < widthPs;
    g = { ...g, zeroDelayPs: tau0, widthPs, amplitude: a };
    if (settled && round > 0) break;
    result = fitFrom(dataAround(h, g), g, unresolvedPs, false) ?? result;
  }
  if (result) {
    const withJitter = fitFrom(result.d, g, Math.max(h.binPs, g.widthPs / 10), true);
    if (withJitter && result.deviance - withJitter.deviance >= JITTER_DEVIANCE_GAIN) result = withJitter;
  }
  if (!result) return { found: false, reason: "the fit of the dip did not converge" };
  const { q, covariance, free, chi2, d } = result;
  /** The error of parameter i; 0 for a parameter held fixed. */
  const err = (i: number) => {
    const k = free.indexOf(i);
    return k < 0 ? 0 : Math.sqrt(covariance[k]![k]!);
  };
  const [c, a, tau0, lnT, lnS] = q;
  const t = Math.exp(lnT);
  const sigma = Math.exp(lnS);
  const fit: CwFit = {
    zeroDelayPs: tau0,
    zeroDelayErrorPs: err(2),
    amplitude: a,
    amplitudeError: err(1),
    widthPs: t,
    widthErrorPs: t * err(3),
    jitterSigmaPs: sigma,
    jitterSigmaErrorPs: sigma * err(4),
    jitterResolved: free.includes(4),
    baseline: c,
    baselineError: err(0),
    g2Zero: 1 - a,
    g2ZeroError: err(1),
    significance: err(1) > 0 ? Math.abs(a) / err(1) : 0,
    fromPs: d.edgesPs[0]!,
    toPs: d.edgesPs[d.edgesPs.length - 1]! + d.binPs,
    fitBinPs: d.binPs,
    chi2PerDof: chi2 / Math.max(1, d.counts.length - free.length),
  };
  if (!(fit.significance >= FEATURE_SIGNIFICANCE) || Math.abs(tau0) > h.windowPs)
    return {
      found: false,
      reason: `the fitted feature is not significant (a = ${a.toFixed(3)} ± ${err(1).toFixed(3)})`,
    };
  return { found: true, fit };
}

/** The fitted g2(τ) at τ (for plots and checks). */
export function fittedG2(fit: CwFit, tauPs: number): number {
  return (
    fit.baseline * (1 - fit.amplitude * featureShape(tauPs - fit.zeroDelayPs, fit.widthPs, fit.jitterSigmaPs))
  );
}
