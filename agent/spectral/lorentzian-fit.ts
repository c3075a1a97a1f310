/**
 * A Lorentzian line on a flat background, fitted by least squares to a Fabry–Pérot scan:
 *   s(f) = B + A / (1 + ((f − f0) / γ)²),  FWHM = 2γ,
 * by Levenberg–Marquardt on the four parameters with the closed-form Jacobian. The photodiode's
 * noise is the same at every point, so the points weigh alike and the errors are the covariance
 * (JᵀJ)⁻¹ scaled by the residual variance χ²/(n − 4). The start: B the median of the lowest
 * quarter, A the maximum above it, f0 where it is, γ half the width above half maximum.
 */
import { inverse, solve } from "../correlation/poisson-fit.js";

export interface LorentzianFit {
  centreGHz: number;
  centreErrorGHz: number;
  fwhmGHz: number;
  fwhmErrorGHz: number;
  amplitudeV: number;
  backgroundV: number;
  /** Residual r.m.s., V: the photodiode's noise if the model holds. */
  residualRmsV: number;
  points: number;
}

/** How many standard errors the line's height must stand above the background. */
const MIN_SIGNIFICANCE = 5;

const model = (q: readonly number[], f: number) => q[3]! + q[0]! / (1 + ((f - q[1]!) / q[2]!) ** 2);

function sumSquares(f: Float64Array, y: Float64Array, q: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += (y[i]! - model(q, f[i]!)) ** 2;
  return s;
}

/** Rows ∂s/∂(A, f0, γ, B) at each point. */
function jacobian(f: Float64Array, q: readonly number[]): Float64Array[] {
  const [a, f0, g] = q as [number, number, number, number];
  const rows = [0, 1, 2, 3].map(() => new Float64Array(f.length));
  for (let i = 0; i < f.length; i++) {
    const u = (f[i]! - f0) / g;
    const d = 1 / (1 + u * u);
    rows[0]![i] = d;
    rows[1]![i] = ((2 * a * u) / g) * d * d;
    rows[2]![i] = ((2 * a * u * u) / g) * d * d;
    rows[3]![i] = 1;
  }
  return rows;
}

function startingPoint(f: Float64Array, y: Float64Array): number[] {
  const sorted = [...y].sort((p, q) => p - q);
  const background = sorted[Math.floor(sorted.length / 8)]!;
  let top = 0;
  for (let i = 1; i < y.length; i++) if (y[i]! > y[top]!) top = i;
  const amplitude = y[top]! - background;
  const half = background + amplitude / 2;
  let lo = top;
  let hi = top;
  while (lo > 0 && y[lo - 1]! > half) lo--;
  while (hi < y.length - 1 && y[hi + 1]! > half) hi++;
  const step = Math.abs(f[1]! - f[0]!);
  return [amplitude, f[top]!, Math.max(step, (f[hi]! - f[lo]! + step) / 2), background];
}

/**
 * The fit, or undefined when there is no line: flat data, a peak not 5σ above the noise or narrower
 * than two steps of the scan, a centre outside the scan, no convergence.
 */
export function fitLorentzian(f: Float64Array, y: Float64Array): LorentzianFit | undefined {
  const n = f.length;
  if (n < 8) return undefined;
  let q = startingPoint(f, y);
  if (!(q[0]! > 0)) return undefined;
  let ss = sumSquares(f, y, q);
  let lambda = 1e-3;
  for (let iteration = 0; iteration < 200; iteration++) {
    const rows = jacobian(f, q);
    const jtj = rows.map((ri) => rows.map((rk) => ri.reduce((s, x, j) => s + x * rk[j]!, 0)));
    const jtr = rows.map((ri) => ri.reduce((s, x, j) => s + x * (y[j]! - model(q, f[j]!)), 0));
    let improved = false;
    let converged = false;
    for (let tries = 0; tries < 30 && !improved; tries++) {
      const step = solve(
        jtj.map((row, i) => row.map((x, k) => (i === k ? x * (1 + lambda) : x))),
        jtr,
      );
      lambda *= 10;
      if (!step) continue;
      const next = q.map((x, p) => x + step[p]!);
      if (!(next[2]! > 0)) continue;
      const nextSs = sumSquares(f, y, next);
      if (!(nextSs <= ss)) continue;
      converged = ss - nextSs < 1e-12 * Math.max(ss, 1e-30);
      q = next;
      ss = nextSs;
      lambda = Math.max(1e-12, lambda / 100);
      improved = true;
    }
    if (!improved || converged) break;
  }
  const rows = jacobian(f, q);
  const covariance = inverse(rows.map((ri) => rows.map((rk) => ri.reduce((s, x, j) => s + x * rk[j]!, 0))));
  if (!covariance || !(q[0]! > 0)) return undefined;
  const variance = ss / (n - 4);
  const error = (p: number) => Math.sqrt(Math.max(0, covariance[p]![p]! * variance));
  // A peak within 5 standard errors of nothing is noise, not a line; one narrower than two steps of
  // the scan is not resolved (a noise spike fits that way); one centred outside the scan is not in it.
  const step = Math.abs(f[n - 1]! - f[0]!) / (n - 1);
  const inside = (q[1]! - f[0]!) * (q[1]! - f[n - 1]!) < 0;
  if (q[0]! < MIN_SIGNIFICANCE * error(0) || 2 * q[2]! < 2 * step || !inside) return undefined;
  return {
    centreGHz: q[1]!,
    centreErrorGHz: error(1),
    fwhmGHz: 2 * q[2]!,
    fwhmErrorGHz: 2 * error(2),
    amplitudeV: q[0]!,
    backgroundV: q[3]!,
    residualRmsV: Math.sqrt(ss / n),
    points: n,
  };
}
