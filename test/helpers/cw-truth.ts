/** Reference values for CW correlation tests, computed the slow, obvious way. */
export { exactPairs } from "../../sim/pair-count.js";

/**
 * The mean over [−b/2, b/2) of e^{−|τ|/t} ⊛ N(0, σ²), by brute-force quadrature (a 0.25 ps grid in τ,
 * Simpson-free Riemann sums over ±8σ): independent of the closed form under test.
 */
export function jitteredDipMean(binPs: number, t: number, sigma: number): number {
  const dTau = 0.25;
  const dS = sigma / 40;
  let total = 0;
  let weight = 0;
  for (let s = -8 * sigma; s <= 8 * sigma; s += dS) weight += Math.exp(-(s * s) / (2 * sigma * sigma));
  for (let tau = -binPs / 2 + dTau / 2; tau < binPs / 2; tau += dTau) {
    let conv = 0;
    for (let s = -8 * sigma; s <= 8 * sigma; s += dS)
      conv += Math.exp(-Math.abs(tau - s) / t) * Math.exp(-(s * s) / (2 * sigma * sigma));
    total += conv / weight;
  }
  return total / (binPs / dTau);
}
