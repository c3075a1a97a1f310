/**
 * The CW antibunching/bunching feature as the detectors see it: a two-sided exponential
 * e^{−|τ|/t} convolved with the Gaussian timing response N(0, σ²) of the two detectors together,
 *
 *   E(τ) = ½[P(τ) + P(−τ)],   P(τ) = e^{σ²/2t² − τ/t}·erfc((σ/t − τ/σ)/√2),
 *
 * and its integral, so that a model bin is the exact average over the bin (no sampling error
 * however coarse the bin). Evaluated through erfcx(x) = e^{x²}·erfc(x), which neither overflows
 * nor cancels: P(τ) = e^{−τ²/2σ²}·erfcx(u) for u ≥ 0. Accuracy: erfcx to 1.2·10⁻⁷ relative
 * (Numerical Recipes' Chebyshev-fitted erfc), far below any counting error.
 */

/** Numerical Recipes' erfc coefficients: erfc(x) = t·exp(−x² + Σ c_k t^k), t = 1/(1 + x/2), x ≥ 0. */
const ERFC_COEFFICIENTS = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

/** e^{x²}·erfc(x) for x ≥ 0 (relative error < 1.2·10⁻⁷). */
function erfcxPositive(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  let poly = 0;
  for (let k = ERFC_COEFFICIENTS.length - 1; k >= 0; k--) poly = poly * t + ERFC_COEFFICIENTS[k]!;
  return t * Math.exp(poly);
}

/** erfc(x) for any x. */
export function erfc(x: number): number {
  return x >= 0 ? Math.exp(-x * x) * erfcxPositive(x) : 2 - Math.exp(-x * x) * erfcxPositive(-x);
}

/** P(τ) = e^{σ²/2t² − τ/t}·erfc((σ/t − τ/σ)/√2), without overflow. */
function p(tau: number, t: number, sigma: number): number {
  const u = (sigma / t - tau / sigma) / Math.SQRT2;
  const gauss = Math.exp(-(tau * tau) / (2 * sigma * sigma));
  if (u >= 0) return gauss * erfcxPositive(u);
  // u < 0 means τ > σ²/t, where σ²/2t² − τ/t < 0: the exponential cannot overflow.
  return 2 * Math.exp((sigma * sigma) / (2 * t * t) - tau / t) - gauss * erfcxPositive(-u);
}

/** The jittered feature's shape at τ: 1 at τ = 0 when σ → 0, area 2t. */
export function featureShape(tau: number, t: number, sigma: number): number {
  return 0.5 * (p(tau, t, sigma) + p(-tau, t, sigma));
}

/**
 * ∫ shape over [lo, hi), ps. Computed from whichever end of the integral is small, so that a bin
 * far out in a tail is not the difference of two numbers near 2t.
 */
export function featureIntegral(lo: number, hi: number, t: number, sigma: number): number {
  // below(τ) = ∫_{−∞}^{τ} shape (small for τ ≤ 0); above(τ) = ∫_{τ}^{∞} shape = below(−τ) by symmetry.
  const below = (tau: number) =>
    t * (erfc(-tau / (sigma * Math.SQRT2)) + 0.5 * (p(-tau, t, sigma) - p(tau, t, sigma)));
  if (hi <= 0) return below(hi) - below(lo);
  if (lo >= 0) return below(-lo) - below(-hi);
  return 2 * t - below(lo) - below(-hi);
}
