/**
 * CW g2(0): the bin at the zero delay against the uncorrelated level N_A·N_B·Δτ/T, and corrected
 * for uncorrelated background (dark counts, stray light). With ρ = S/(S+B) per detector — signal
 * over total rate — the measured g_m = ρ_Aρ_B·g_s + 1 − ρ_Aρ_B, so the source's own
 * g_s = (g_m − 1 + ρ_Aρ_B) / (ρ_Aρ_B) (Brouri et al., Opt. Lett. 25, 1294 (2000), for ρ_A = ρ_B).
 */
import type { CorrelationHistogram } from "./cross-correlation.js";

export interface CwG2 {
  kind: "cw";
  zeroDelayPs: number;
  /** Normalised g2 in the bin holding the zero delay, as measured. */
  g2Zero: number;
  g2ZeroError: number;
  /** ρ = S/(S+B) per channel, when the background rates are given. */
  rho?: [number, number];
  g2ZeroCorrected?: number;
  g2ZeroCorrectedError?: number;
}

export function cwG2(
  h: CorrelationHistogram,
  options: { zeroDelayPs?: number; backgroundCps?: [number, number] } = {},
): CwG2 {
  const zeroDelayPs = options.zeroDelayPs ?? 0;
  const bin = Math.floor((zeroDelayPs + h.windowPs) / h.binPs);
  if (bin < 0 || bin >= h.counts.length)
    throw new RangeError(`zero delay ${zeroDelayPs} ps lies outside the ±${h.windowPs} ps histogram`);
  if (!(h.spanPs > 0)) throw new RangeError("the data span no time: g2 cannot be normalised");
  const expectedPerBin = (h.singles[0] * h.singles[1] * h.binPs) / h.spanPs;
  const counts = h.counts[bin]!;
  const g2Zero = counts / expectedPerBin;
  const g2ZeroError = Math.sqrt(Math.max(counts, 1)) / expectedPerBin;
  const result: CwG2 = { kind: "cw", zeroDelayPs, g2Zero, g2ZeroError };
  if (!options.backgroundCps) return result;
  const rho = options.backgroundCps.map((b, i) => {
    const rate = h.singles[i]! / (h.spanPs * 1e-12);
    if (!(b >= 0) || b >= rate)
      throw new RangeError(
        `background ${b} cps on channel ${h.channels[i]} is not below its measured rate ${rate.toFixed(0)} cps`,
      );
    return 1 - b / rate;
  }) as [number, number];
  const r2 = rho[0] * rho[1];
  return {
    ...result,
    rho,
    g2ZeroCorrected: (g2Zero - 1 + r2) / r2,
    g2ZeroCorrectedError: g2ZeroError / r2,
  };
}
