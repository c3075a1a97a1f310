/**
 * Hong–Ou–Mandel two-photon interference visibility.
 *  - Pulsed: V = 1 − g2∥(0)/g2⊥(0), the zero-delay peak normalised by its side peaks with the
 *    photons made indistinguishable (parallel) against distinguishable (orthogonal).
 *  - CW: the dip depth V = 1 − C(τ₀)/C(∞), the coincidences at the dip against the mean level far
 *    from it, from one histogram.
 * Errors are the Poisson errors propagated.
 */
import type { CorrelationHistogram } from "./cross-correlation.js";
import type { PulsedG2 } from "./pulsed-g2.js";

export interface HomVisibility {
  visibility: number;
  visibilityError: number;
}

export function homVisibilityPulsed(parallel: PulsedG2, orthogonal: PulsedG2): HomVisibility {
  if (!(orthogonal.g2Zero > 0))
    throw new RangeError("the orthogonal (distinguishable) g2(0) is 0: the HOM visibility is undefined");
  const ratio = parallel.g2Zero / orthogonal.g2Zero;
  const relParallel = parallel.g2Zero > 0 ? parallel.g2ZeroError / parallel.g2Zero : 0;
  const relOrthogonal = orthogonal.g2ZeroError / orthogonal.g2Zero;
  const error =
    parallel.g2Zero > 0
      ? ratio * Math.hypot(relParallel, relOrthogonal)
      : parallel.g2ZeroError / orthogonal.g2Zero;
  return { visibility: 1 - ratio, visibilityError: error };
}

export interface HomDip extends HomVisibility {
  /** Coincidences in the bin holding the dip's centre. */
  dipCounts: number;
  /** Mean coincidences per bin at |τ − τ₀| ≥ farPs. */
  plateauPerBin: number;
  plateauBins: number;
}

export function homDipCw(h: CorrelationHistogram, dipDelayPs: number, farPs: number): HomDip {
  const dipBin = Math.floor((dipDelayPs + h.windowPs) / h.binPs);
  if (dipBin < 0 || dipBin >= h.counts.length)
    throw new RangeError(`dip delay ${dipDelayPs} ps lies outside the ±${h.windowPs} ps histogram`);
  let plateau = 0;
  let plateauBins = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const centre = -h.windowPs + (i + 0.5) * h.binPs;
    if (Math.abs(centre - dipDelayPs) >= farPs) {
      plateau += h.counts[i]!;
      plateauBins++;
    }
  }
  if (plateauBins === 0 || plateau === 0)
    throw new RangeError(`no coincidences at least ${farPs} ps from the dip: the plateau is unknown`);
  const plateauPerBin = plateau / plateauBins;
  const dipCounts = h.counts[dipBin]!;
  const ratio = dipCounts / plateauPerBin;
  return {
    dipCounts,
    plateauPerBin,
    plateauBins,
    visibility: 1 - ratio,
    visibilityError: Math.max(ratio, 1 / plateauPerBin) * Math.sqrt(1 / Math.max(dipCounts, 1) + 1 / plateau),
  };
}
