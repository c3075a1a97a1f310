/**
 * g2(0) from a histogram, pulsed or CW: with a period given, pulsed; with "cw" or background rates,
 * CW (background corrected when given); with "auto", pulsed when the histogram is a train of peaks
 * (modulated more than PULSED_MODULATION at the period found), else CW.
 */
import type { CorrelationHistogram } from "./cross-correlation.js";
import { type CwG2, cwG2 } from "./cw-g2.js";
import { findPeakGrid, holdsEnoughPeriods, type PulsedG2, peakModulation, pulsedG2 } from "./pulsed-g2.js";

/** Folded-profile modulation above which the histogram is a train of pulsed peaks. */
const PULSED_MODULATION = 0.5;

export function g2Zero(
  h: CorrelationHistogram,
  periodPs: number | "auto" | "cw",
  backgroundCps?: [number, number],
): PulsedG2 | CwG2 {
  if (typeof periodPs === "number") return pulsedG2(h, { periodPs });
  if (periodPs === "cw" || backgroundCps) return cwG2(h, backgroundCps ? { backgroundCps } : {});
  const grid = findPeakGrid(h, "auto");
  if (holdsEnoughPeriods(h, grid.periodPs) && peakModulation(h, grid) > PULSED_MODULATION) {
    try {
      return pulsedG2(h, { periodPs: "auto", grid });
    } catch (err) {
      // A lone peak (a fixed delay) is modulated but is no train of peaks: CW.
      if (!(err instanceof RangeError)) throw err;
    }
  }
  return cwG2(h);
}
