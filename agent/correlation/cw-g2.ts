/**
 * CW g2(0): the pairs in one bin of the user's width centred on the zero delay, against the
 * uncorrelated level N_A·N_B·Δτ/T, with its Poisson error. The zero delay is where the cables put
 * the antibunching dip (or bunching peak): given, or found by fitting the feature (cw-fit.ts);
 * with neither, τ = 0 with a warning. The histogram comes in fine bins (a divisor of the user's
 * bin) so that the bin can be centred to a fine bin wherever the dip lies.
 *
 * Background: with ρ = S/(S+B) per detector — signal over total rate — the measured
 * g_m = ρ_Aρ_B·g_s + 1 − ρ_Aρ_B, so the source's own g_s = (g_m − 1 + ρ_Aρ_B) / (ρ_Aρ_B)
 * (Brouri et al., Opt. Lett. 25, 1294 (2000), for ρ_A = ρ_B).
 */
import type { CorrelationHistogram } from "./cross-correlation.js";
import { type CwFit, fitCwFeature } from "./cw-fit.js";

/** The options asked for (a bin, a zero delay, a background) do not fit these data: a usage error, not a data fault. */
export class OptionMismatch extends RangeError {}

export interface CwG2 {
  kind: "cw";
  /** Width of the g2(0) bin, ps. */
  binPs: number;
  /** Centre of the g2(0) bin, ps. */
  zeroDelayPs: number;
  /** Where the zero delay came from: the fit, the user, or nowhere (τ = 0). */
  zeroDelayFrom: "fit" | "given" | "none";
  /** Pairs in the bin, and the uncorrelated level N_A·N_B·Δτ/T the g2 is measured against. */
  centreCounts: number;
  accidentalsPerBin: number;
  /** Normalised g2 in the centred bin, as measured, with its Poisson error. */
  g2Zero: number;
  g2ZeroError: number;
  /** The fit of the feature (absent when none stands out of the noise). */
  fit?: CwFit;
  /** ρ = S/(S+B) per channel, when the background rates are given. */
  rho?: [number, number];
  g2ZeroCorrected?: number;
  g2ZeroCorrectedError?: number;
  /** What a person should know before trusting the number. */
  warnings: string[];
}

export interface CwOptions {
  /** Bin of g2(0), ps: a multiple of the histogram's bin. Default: from the fitted width (autoCwBinPs). */
  binPs?: number;
  zeroDelayPs?: number;
  backgroundCps?: [number, number];
}

/** Fewer accidentals than this per bin and g2(0) is too uncertain to mean much (±20 % at g2 = 1). */
export const MIN_ACCIDENTALS_PER_BIN = 25;
/** A bin a tenth of the feature's width keeps ~97 % of an exponential dip's depth. */
const BINS_PER_FEATURE = 10;

/** The 1-2-5 value at or below x (x > 0). */
function niceBelow(x: number): number {
  const decade = 10 ** Math.floor(Math.log10(x));
  const m = x / decade;
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * decade;
}

/** The 1-2-5 value at or above x. */
function niceAbove(x: number): number {
  const below = niceBelow(x);
  if (below >= x) return below;
  const m = below / 10 ** Math.floor(Math.log10(below));
  return below * (m === 1 ? 2 : m === 2 ? 2.5 : 2);
}

/**
 * A bin at or below `targetPs` on the histogram's grid: the largest whole number of its bins
 * within the target that divides the histogram into whole bins.
 */
export function binOnGrid(h: CorrelationHistogram, targetPs: number): number {
  const most = Math.max(1, Math.floor(targetPs / h.binPs));
  for (let k = most; k > 1; k--) if (h.counts.length % k === 0) return k * h.binPs;
  return h.binPs;
}

/** Pairs per ps at g2 = 1: N_A·N_B / T. */
function pairsPerPs(h: CorrelationHistogram): number {
  return (h.singles[0] * h.singles[1]) / h.spanPs;
}

/** The measured feature's full width at half depth, ps: ≈ 2 ln2·t, or the jitter's FWHM when that is wider. */
function featureFwhmPs(fit: CwFit): number {
  return Math.max(2 * Math.LN2 * fit.widthPs, 2.3548 * fit.jitterSigmaPs);
}

/** The default CW bin: a tenth of the fitted feature's width, or (no feature) 100 ps. */
export function autoCwBinPs(h: CorrelationHistogram, fit: CwFit | undefined): number {
  return binOnGrid(h, niceBelow(fit ? featureFwhmPs(fit) / BINS_PER_FEATURE : 100));
}

export function cwG2(h: CorrelationHistogram, options: CwOptions = {}): CwG2 {
  if (!(h.spanPs > 0)) throw new RangeError("the data span no time: g2 cannot be normalised");
  const warnings: string[] = [];
  const feature = fitCwFeature(h);
  const fit = feature.found ? feature.fit : undefined;
  let zeroDelayPs: number;
  let zeroDelayFrom: CwG2["zeroDelayFrom"];
  if (options.zeroDelayPs !== undefined) {
    zeroDelayPs = options.zeroDelayPs;
    zeroDelayFrom = "given";
  } else if (fit) {
    zeroDelayPs = fit.zeroDelayPs;
    zeroDelayFrom = "fit";
  } else {
    zeroDelayPs = 0;
    zeroDelayFrom = "none";
    if (!feature.found)
      warnings.push(
        `${feature.reason}: g2(0) read at τ = 0; give the zero delay (--zero-delay-ps) if the cables move it`,
      );
  }
  // A default bin never reaches past the histogram's edge (a wide bunching peak near it).
  const binPs =
    options.binPs ?? Math.min(autoCwBinPs(h, fit), binOnGrid(h, 2 * (h.windowPs - Math.abs(zeroDelayPs))));
  if (!Number.isInteger(binPs / h.binPs) || binPs <= 0)
    throw new OptionMismatch(
      `the g2(0) bin (${binPs} ps) must be a whole number of the histogram's ${h.binPs} ps bins`,
    );
  const fineBins = binPs / h.binPs;
  const first = Math.round((zeroDelayPs - binPs / 2 + h.windowPs) / h.binPs);
  if (first < 0 || first + fineBins > h.counts.length)
    throw new OptionMismatch(
      `a ${binPs} ps bin centred on the zero delay ${zeroDelayPs.toFixed(0)} ps does not fit in the ±${h.windowPs} ps histogram`,
    );
  let centreCounts = 0;
  for (let i = first; i < first + fineBins; i++) centreCounts += h.counts[i]!;
  const accidentalsPerBin = pairsPerPs(h) * binPs;
  const g2Zero = centreCounts / accidentalsPerBin;
  const g2ZeroError = Math.sqrt(Math.max(centreCounts, 1)) / accidentalsPerBin;
  if (accidentalsPerBin < MIN_ACCIDENTALS_PER_BIN) {
    const needPs = niceAbove(100 / pairsPerPs(h)); // ±10 % at g2 = 1
    const width = fit ? featureFwhmPs(fit) : undefined;
    warnings.push(
      `only ${accidentalsPerBin.toPrecision(2)} accidental pairs expected per ${binPs} ps bin: g2(0) means little; ` +
        `bins of ${needPs} ps would hold 100` +
        (width !== undefined && needPs > width / 2
          ? `, but that is wider than half the dip (${width.toFixed(0)} ps FWHM): integrate longer`
          : ""),
    );
  }
  const centredAt = -h.windowPs + first * h.binPs + binPs / 2;
  const result: CwG2 = {
    kind: "cw",
    binPs,
    zeroDelayPs: centredAt,
    zeroDelayFrom,
    centreCounts,
    accidentalsPerBin,
    g2Zero,
    g2ZeroError,
    ...(fit ? { fit } : {}),
    warnings,
  };
  if (!options.backgroundCps) return result;
  const rho = options.backgroundCps.map((b, i) => {
    const rate = h.singles[i]! / (h.spanPs * 1e-12);
    if (!(b >= 0) || b >= rate)
      throw new OptionMismatch(
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
