/** Reference values for CW correlation tests, computed the slow, obvious way. */

/** Pairs with τ = t(b) − t(a) in [lo, hi), by two pointers over the sorted lists: the exact count. */
export function exactPairs(a: number[], b: number[], lo: number, hi: number): number {
  let n = 0;
  let j = 0;
  let k = 0;
  for (const t of a) {
    while (j < b.length && b[j]! < t + lo) j++;
    while (k < b.length && b[k]! < t + hi) k++;
    n += k - j;
  }
  return n;
}

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
