/**
 * The aligner's estimates from noisy signal samples, as pure functions: means with their errors,
 * the log-parabola peak fit (exact for a Gaussian mode), and the dither's lock-in demodulation.
 */
import type { SignalSample } from "./types.js";

/** How many σ make a difference real. */
export const SIGNIFICANT = 3;

/** ln of a sample, floored at its own noise so zero counts stay finite. */
export function lnSignal(s: SignalSample): number {
  return Math.log(Math.max(s.value, s.sigma, 1e-12));
}

/** The mean of samples, with its error. */
export function meanOf(samples: readonly SignalSample[]): SignalSample {
  let sum = 0;
  let variance = 0;
  for (const s of samples) {
    sum += s.value;
    variance += s.sigma ** 2;
  }
  return { value: sum / samples.length, sigma: Math.sqrt(variance) / samples.length };
}

/**
 * The parabola through ln(signal) at c − h, c, c + h: its vertex as an offset from c (within ±3h)
 * and the mode radius from its curvature, ln η = −(x − p)²/w². Undefined when there is no clear
 * maximum (not concave, or nothing significantly above the noise).
 */
export function logParabola(
  h: number,
  below: SignalSample,
  mid: SignalSample,
  above: SignalSample,
): { deltaUm: number; widthUm: number } | undefined {
  const [l1, l0, l2] = [lnSignal(below), lnSignal(mid), lnSignal(above)];
  const curvature = l1 - 2 * l0 + l2;
  if (!(curvature < 0 && Math.max(below.value, mid.value, above.value) > SIGNIFICANT * mid.sigma))
    return undefined;
  return {
    deltaUm: Math.max(-3 * h, Math.min(3 * h, (h * (l1 - l2)) / (2 * curvature))),
    widthUm: h * Math.sqrt(-2 / curvature),
  };
}

/**
 * Lock-in demodulation of a circular dither: samples at phases 2πk/N on a circle of radius a around
 * the centre. ln η's first harmonic is −2a·(centre − peak)/w², so the centre's offset from the
 * peak is −c₁·w²/(2a) per axis.
 */
export function ditherOffset(samples: readonly SignalSample[], ditherUm: number, modeRadiusUm: number) {
  const n = samples.length;
  let c1x = 0;
  let c1y = 0;
  samples.forEach((s, k) => {
    const phi = (2 * Math.PI * k) / n;
    const l = lnSignal(s);
    c1x += (2 / n) * l * Math.cos(phi);
    c1y += (2 / n) * l * Math.sin(phi);
  });
  const w2 = modeRadiusUm ** 2;
  return { x: (-c1x * w2) / (2 * ditherUm), y: (-c1y * w2) / (2 * ditherUm) };
}
