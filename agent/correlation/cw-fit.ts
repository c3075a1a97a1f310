/**
 * Finding the CW zero delay: a fit of g2(τ) = c·[1 − a·e^{−|τ−τ0|/t} ⊛ N(0, σ²)] to the
 * cross-correlation histogram — an antibunching dip (a > 0) or a bunching peak (a < 0) at the
 * delay τ0 that the cables put it, smoothed by the detectors' timing response σ. The counts are
 * Poisson: the fit maximises the Poisson likelihood (Fisher scoring with Levenberg damping; each
 * model bin is the exact bin average, cw-model.ts), and the errors come from the inverse Fisher
 * information at the optimum. g2(0) from the fit is 1 − a: the source's own value relative to the
 * baseline c, with the timing jitter taken out (uncorrelated background is not: see ρ in cw-g2).
 *
 * The starting point comes from a matched-filter scan: box sums of 1, 2, 4, … bins across the
 * histogram; the most significant departure from the flat level (the median, or for sparse data
 * the accidentals N_A·N_B·Δτ/T) gives τ0, the width and the sign. Below FEATURE_SIGNIFICANCE standard deviations there is no feature to fit (independent
 * streams, or too few counts), and the fit says so instead of fitting noise.
 */
import type { CorrelationHistogram } from "./cross-correlation.js";
import { featureIntegral, featureShape } from "./cw-model.js";

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

function expected(d: FitData, q: Params, out: Float64Array): boolean {
  const [c, a, tau0, lnT, lnS] = q;
  const t = Math.exp(lnT);
  const sigma = Math.exp(lnS);
  for (let j = 0; j < d.counts.length; j++) {
    const lo = d.edgesPs[j]! - tau0;
    const mu = d.pairsPerPs * c * (d.binPs - a * featureIntegral(lo, lo + d.binPs, t, sigma));
    if (!(mu > 0)) return false;
    out[j] = mu;
  }
  return true;
}

/** Poisson deviance 2Σ[μ − n + n ln(n/μ)]. */
function deviance(d: FitData, mu: Float64Array): number {
  let dev = 0;
  for (let j = 0; j < mu.length; j++) {
    const n = d.counts[j]!;
    dev += mu[j]! - n + (n > 0 ? n * Math.log(n / mu[j]!) : 0);
  }
  return 2 * dev;
}

/** Solves the 5×5 system m·x = v (Gaussian elimination with partial pivoting); undefined if singular. */
function solve(m: number[][], v: number[]): number[] | undefined {
  const n = v.length;
  const a = m.map((row, i) => [...row, v[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (!(Math.abs(a[pivot]![col]!) > 1e-300)) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k <= n; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  return a.map((row, i) => row[n]! / row[i]!);
}

function inverse(m: number[][]): number[][] | undefined {
  const cols = m.map((_, i) =>
    solve(
      m,
      m.map((__, k) => (k === i ? 1 : 0)),
    ),
  );
  if (cols.some((c) => !c)) return undefined;
  return m.map((_, r) => cols.map((c) => c![r]!));
}

/** Jacobian of μ by the parameters (numerical for the shape parameters). */
function jacobian(d: FitData, q: Params, mu: Float64Array): Float64Array[] {
  const n = mu.length;
  const rows = q.map(() => new Float64Array(n));
  const scratch = new Float64Array(n);
  const steps = [0, 0, Math.max(1e-3, 1e-4 * Math.exp(q[3])), 1e-5, 1e-5];
  for (let p = 0; p < 5; p++) {
    if (p === 0) {
      for (let j = 0; j < n; j++) rows[0]![j] = mu[j]! / q[0];
      continue;
    }
    if (p === 1) {
      // μ is linear in a: ∂μ/∂a = −(pairs/ps)·c·∫shape.
      const t = Math.exp(q[3]);
      const sigma = Math.exp(q[4]);
      for (let j = 0; j < n; j++) {
        const lo = d.edgesPs[j]! - q[2];
        rows[1]![j] = -d.pairsPerPs * q[0] * featureIntegral(lo, lo + d.binPs, t, sigma);
      }
      continue;
    }
    const up = q.map((x, i) => (i === p ? x + steps[p]! : x)) as Params;
    const down = q.map((x, i) => (i === p ? x - steps[p]! : x)) as Params;
    const muDown = new Float64Array(n);
    if (!expected(d, up, scratch) || !expected(d, down, muDown)) {
      rows[p]!.fill(0);
      continue;
    }
    for (let j = 0; j < n; j++) rows[p]![j] = (scratch[j]! - muDown[j]!) / (2 * steps[p]!);
  }
  return rows;
}

/** Fisher information Σ J_i J_k / μ over the free parameters, and the score Σ J_i (n − μ)/μ. */
function information(d: FitData, rows: Float64Array[], mu: Float64Array, free: number[]) {
  const fisher = free.map((i) =>
    free.map((k) => rows[i]!.reduce((s, x, j) => s + (x * rows[k]![j]!) / mu[j]!, 0)),
  );
  const score = free.map((i) => rows[i]!.reduce((s, x, j) => s + (x * (d.counts[j]! - mu[j]!)) / mu[j]!, 0));
  return { fisher, score };
}

/**
 * Maximum-likelihood fit from `start` over the `free` parameters (the others stay fixed): the
 * parameters, the covariance of the free ones (by index into `free`), and Pearson's χ².
 */
function maximiseLikelihood(d: FitData, start: Params, free: number[]) {
  let q = start;
  let mu = new Float64Array(d.counts.length);
  if (!expected(d, q, mu)) return undefined;
  let dev = deviance(d, mu);
  let lambda = 1e-3;
  for (let iteration = 0; iteration < 200; iteration++) {
    const { fisher, score } = information(d, jacobian(d, q, mu), mu, free);
    let improved = false;
    let converged = false;
    for (let tries = 0; tries < 30 && !improved; tries++) {
      const damped = fisher.map((row, i) => row.map((x, k) => (i === k ? x * (1 + lambda) : x)));
      const step = solve(damped, score);
      lambda *= 10;
      if (!step) continue;
      const next = q.map((x, p) => x + (free.includes(p) ? step[free.indexOf(p)]! : 0)) as Params;
      const nextMu = new Float64Array(mu.length);
      if (!(next[0] > 0) || !expected(d, next, nextMu)) continue;
      const nextDev = deviance(d, nextMu);
      if (!(nextDev <= dev)) continue;
      converged = dev - nextDev < 1e-9 * Math.max(1, dev);
      q = next;
      mu = nextMu;
      dev = nextDev;
      lambda = Math.max(1e-9, lambda / 100);
      improved = true;
    }
    if (!improved || converged) break;
  }
  const covariance = inverse(information(d, jacobian(d, q, mu), mu, free).fisher);
  if (!covariance || covariance.some((row, i) => !(row[i]! >= 0))) return undefined;
  let chi2 = 0;
  for (let j = 0; j < mu.length; j++) chi2 += (d.counts[j]! - mu[j]!) ** 2 / mu[j]!;
  return { q, covariance, free, chi2 };
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
  const result = maximiseLikelihood(d, start, jitterFree ? [0, 1, 2, 3, 4] : [0, 1, 2, 3]);
  return result && { ...result, d };
}

/** Poisson deviance of a fit (lower is better), to compare nested fits on the same data. */
function fitDeviance(d: FitData, q: Params): number {
  const mu = new Float64Array(d.counts.length);
  return expected(d, q, mu) ? deviance(d, mu) : Number.POSITIVE_INFINITY;
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
    if (
      withJitter &&
      fitDeviance(result.d, result.q) - fitDeviance(result.d, withJitter.q) >= JITTER_DEVIANCE_GAIN
    )
      result = withJitter;
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
