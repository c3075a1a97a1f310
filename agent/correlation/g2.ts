/**
 * g2(0) from a histogram, pulsed or CW: with a period given, pulsed; with "cw" or background rates,
 * CW (background corrected when given); with "auto", pulsed when the histogram is a train of peaks
 * (modulated more than PULSED_MODULATION at the period found), else CW. The histogram is the fine
 * one (see analyze.ts): CW g2(0) is read in a bin of `binPs` centred on the zero delay.
 */
import type { CorrelationHistogram } from "./cross-correlation.js";
import { type CwG2, cwG2 } from "./cw-g2.js";
import { findPeakGrid, holdsEnoughPeriods, type PulsedG2, peakModulation, pulsedG2 } from "./pulsed-g2.js";

/** Folded-profile modulation above which the histogram is a train of pulsed peaks. */
const PULSED_MODULATION = 0.5;

export interface G2Options {
  periodPs: number | "auto" | "cw";
  /** CW: the g2(0) bin, ps (default: from the fitted feature). */
  binPs?: number;
  /** The zero delay, ps (default: found — the smallest peak, or the fitted dip). */
  zeroDelayPs?: number;
  backgroundCps?: [number, number];
}

export function g2Zero(h: CorrelationHistogram, o: G2Options): PulsedG2 | CwG2 {
  const zeroDelay = o.zeroDelayPs !== undefined ? { zeroDelayPs: o.zeroDelayPs } : {};
  const cw = () =>
    cwG2(h, {
      ...zeroDelay,
      ...(o.binPs !== undefined ? { binPs: o.binPs } : {}),
      ...(o.backgroundCps ? { backgroundCps: o.backgroundCps } : {}),
    });
  if (typeof o.periodPs === "number") return pulsedG2(h, { periodPs: o.periodPs, ...zeroDelay });
  if (o.periodPs === "cw" || o.backgroundCps) return cw();
  const grid = findPeakGrid(h, "auto");
  if (holdsEnoughPeriods(h, grid.periodPs) && peakModulation(h, grid) > PULSED_MODULATION) {
    try {
      return pulsedG2(h, { periodPs: "auto", grid, ...zeroDelay });
    } catch (err) {
      // A lone peak (a fixed delay) is modulated but is no train of peaks: CW.
      if (!(err instanceof RangeError)) throw err;
    }
  }
  return cw();
}
