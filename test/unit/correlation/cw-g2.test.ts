/**
 * CW g2(0) against streams whose g2 is known by construction (sim/cw-emitter.ts): a renewal-process
 * emitter, g2(τ) = 1 − e^{−(R+Γ)|τ|} exactly, thinned, split, jittered, delayed and with Poisson
 * background; a telegraph-modulated (blinking) source, g2(τ) = 1 + (k_off/k_on)·e^{−(k_on+k_off)|τ|};
 * and independent Poisson streams, g2 = 1. Every expected value is derived here from the source's
 * parameters, never pasted in.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CorrelationHistogram,
  CrossCorrelator,
  fineBinPs,
} from "../../../agent/correlation/cross-correlation.js";
import { cwG2 } from "../../../agent/correlation/cw-g2.js";
import { featureIntegral, featureShape } from "../../../agent/correlation/cw-model.js";
import { cwEmitterTags, detectorRatesCps, poissonStreams, singleEmitter } from "../../../sim/cw-emitter.js";
import { Rng } from "../../../sim/random.js";
import { exactPairs, jitteredDipMean } from "../../helpers/cw-truth.js";

/** Correlates a generated stream on the fine grid analyze uses for this window and bin. */
function correlate(
  blocks: Iterable<{ channels: Uint8Array; timesPs: Float64Array }>,
  windowPs: number,
  binPs: number,
) {
  const c = new CrossCorrelator(0, 1, windowPs, fineBinPs(windowPs, binPs));
  const a: number[] = [];
  const b: number[] = [];
  for (const block of blocks) {
    c.push(block.channels, block.timesPs);
    for (let i = 0; i < block.channels.length; i++) (block.channels[i] === 0 ? a : b).push(block.timesPs[i]!);
  }
  return { histogram: c.histogram(), a, b };
}

describe("the jittered feature's closed form", () => {
  it("equals a numerical convolution of e^{−|τ|/t} with the Gaussian, and integrates to it", () => {
    for (const [t, sigma] of [
      [1000, 35],
      [50, 200],
      [300, 300],
    ] as const) {
      for (const tau of [-3 * t, -sigma, 0, 0.5 * sigma, t, 4 * t]) {
        const ds = sigma / 200;
        let conv = 0;
        let w = 0;
        for (let s = -10 * sigma; s <= 10 * sigma; s += ds) {
          const g = Math.exp(-(s * s) / (2 * sigma * sigma));
          conv += Math.exp(-Math.abs(tau - s) / t) * g;
          w += g;
        }
        expect(featureShape(tau, t, sigma)).toBeCloseTo(conv / w, 4);
      }
      // The integral over a bin, against the shape summed on a fine grid; the whole area is 2t.
      for (const [lo, hi] of [
        [-40, 60],
        [2 * t, 2 * t + 100],
        [-7 * t, -6 * t],
      ] as const) {
        let sum = 0;
        const step = (hi - lo) / 2000;
        for (let x = lo + step / 2; x < hi; x += step) sum += featureShape(x, t, sigma) * step;
        expect(featureIntegral(lo, hi, t, sigma)).toBeCloseTo(sum, 3);
      }
      expect(featureIntegral(-60 * t - 60 * sigma, 60 * t + 60 * sigma, t, sigma) / (2 * t)).toBeCloseTo(
        1,
        6,
      );
    }
  });
});

describe("CW g2(0) of a single emitter, cable delay 7.3 ns (the dip off τ = 0)", () => {
  // R = 0.2 GHz, Γ = 0.8 GHz → t = 1/(R+Γ) = 1 ns; 2.4 Mcps signal + 0.1 Mcps background per
  // detector; σ = 25 ps each (sim/cw-emitter.ts).
  const emitter = singleEmitter();
  const widthPs = 1e12 / (emitter.excitationRateHz + emitter.decayRateHz);
  const sigmaPs = Math.hypot(25, 25);
  const rho = [0, 1].map((i) => {
    const r = detectorRatesCps(emitter, i);
    return r.signalCps / r.totalCps;
  });
  const depth = rho[0]! * rho[1]!;
  const BIN = 100;
  let run: ReturnType<typeof correlate>;
  beforeAll(() => {
    run = correlate(cwEmitterTags(new Rng(21), emitter, 1e12), 50_000, BIN);
  });

  it("reads the 100 ps bin centred on the fitted dip: the exact pair count there and the derived g2, within 3σ", () => {
    const g = cwG2(run.histogram, { binPs: BIN });
    expect(g.zeroDelayFrom).toBe("fit");
    // The exact count in the bin centred on the true delay, and its expected value from the model.
    const exact = exactPairs(run.a, run.b, 7300 - BIN / 2, 7300 + BIN / 2);
    const sigmaCounts = Math.sqrt(exact);
    expect(Math.abs(g.centreCounts - exact)).toBeLessThan(3 * sigmaCounts);
    const expectedG2 = 1 - depth * jitteredDipMean(BIN, widthPs, sigmaPs);
    expect(Math.abs(g.g2Zero - expectedG2)).toBeLessThan(3 * g.g2ZeroError);
    // Far from τ = 0 — reading τ = 0 would give ~1.
    expect(g.g2Zero).toBeLessThan(0.25);
    expect(g.warnings).toEqual([]);
  });

  it("fits τ0, a, t and the baseline to the construction's values within 3σ (σ = 35 ps: too small to resolve in 1 s)", () => {
    const { fit } = cwG2(run.histogram, { binPs: BIN });
    expect(fit).toBeDefined();
    const within3 = (value: number, truth: number, error: number) =>
      expect(Math.abs(value - truth), `${value} ± ${error} against ${truth}`).toBeLessThan(3 * error);
    within3(fit!.zeroDelayPs, 7300, fit!.zeroDelayErrorPs);
    within3(fit!.amplitude, depth, fit!.amplitudeError);
    within3(fit!.widthPs, widthPs, fit!.widthErrorPs);
    within3(fit!.baseline, 1, fit!.baselineError);
    expect(fit!.g2Zero).toBeCloseTo(1 - fit!.amplitude, 12);
    expect(fit!.chi2PerDof).toBeLessThan(1.3);
    // A free σ does not lower the deviance by 9 here: it is held, and said to be unresolved.
    expect(fit!.jitterResolved).toBe(false);
  });

  it("fits the jitter σ = √(σ_A² + σ_B²) when it shapes the dip (300 ps per detector)", () => {
    const blurred = singleEmitter();
    const jittery = { ...blurred, detectors: blurred.detectors.map((d) => ({ ...d, jitterSigmaPs: 300 })) };
    const { histogram } = correlate(cwEmitterTags(new Rng(22), jittery, 0.5e12), 50_000, BIN);
    const { fit } = cwG2(histogram, { binPs: BIN });
    expect(fit!.jitterResolved).toBe(true);
    const sigma = Math.hypot(300, 300);
    expect(Math.abs(fit!.jitterSigmaPs - sigma)).toBeLessThan(3 * fit!.jitterSigmaErrorPs);
    expect(fit!.jitterSigmaErrorPs).toBeLessThan(sigma / 4);
    expect(Math.abs(fit!.amplitude - depth)).toBeLessThan(3 * fit!.amplitudeError);
    expect(Math.abs(fit!.widthPs - widthPs)).toBeLessThan(3 * fit!.widthErrorPs);
  });

  it("the default bin is about a tenth of the dip's FWHM, on the histogram's grid", () => {
    const g = cwG2(run.histogram);
    // FWHM ≈ 2 ln2 · t = 1386 ps → 139 ps → the 1-2-5 value below: 100 ps.
    expect(g.binPs).toBe(100);
  });

  it("a given zero delay centres the bin there instead", () => {
    const g = cwG2(run.histogram, { binPs: BIN, zeroDelayPs: 0 });
    expect(g.zeroDelayFrom).toBe("given");
    expect(g.zeroDelayPs).toBe(0);
    const exact = exactPairs(run.a, run.b, -BIN / 2, BIN / 2);
    expect(g.centreCounts).toBe(exact);
  });

  it("background correction: (g − 1 + ρ²)/ρ² with ρ from the given background rates", () => {
    const g = cwG2(run.histogram, { binPs: BIN, backgroundCps: [1e5, 1e5] });
    const expectedSource = 1 - jitteredDipMean(BIN, widthPs, sigmaPs); // background removed: ρ = 1
    expect(Math.abs(g.g2ZeroCorrected! - expectedSource)).toBeLessThan(3 * g.g2ZeroCorrectedError! + 0.01);
  });
});

describe("CW g2(0) of independent Poisson streams", () => {
  it("is 1 within its error, with no feature found and a warning that τ = 0 was read", () => {
    const poisson = poissonStreams(3e6);
    const { histogram } = correlate(cwEmitterTags(new Rng(5), poisson, 0.5e12), 500_000, 1000);
    const g = cwG2(histogram, { binPs: 1000 });
    // Expected accidentals: N_A·N_B·Δτ/T, about 3e6² · 1 ns · 0.5 s = 4500.
    expect(g.accidentalsPerBin).toBeGreaterThan(4000);
    expect(Math.abs(g.g2Zero - 1)).toBeLessThan(3 * g.g2ZeroError);
    expect(g.g2ZeroError).toBeCloseTo(1 / Math.sqrt(g.accidentalsPerBin), 2);
    expect(g.zeroDelayFrom).toBe("none");
    expect(g.warnings.join()).toContain("no antibunching dip or bunching peak");
  });

  it("warns when too few accidentals fall in a bin, naming a bin that would hold 100", () => {
    const sparse = poissonStreams(44e3);
    const { histogram } = correlate(cwEmitterTags(new Rng(6), sparse, 1e12), 100_000, 16);
    const g = cwG2(histogram, { binPs: 16 });
    // 44 kcps² · 16 ps · 1 s ≈ 0.03 accidentals per bin.
    expect(g.accidentalsPerBin).toBeLessThan(0.05);
    const pairsPerPs = g.accidentalsPerBin / 16;
    const suggested = Number(/bins of (\d+) ps would hold 100/.exec(g.warnings.join())?.[1]);
    expect(suggested * pairsPerPs).toBeGreaterThanOrEqual(100);
    expect(suggested * pairsPerPs).toBeLessThan(300);
  });
});

describe("CW g2 of a blinking source: a bunching peak", () => {
  it("fits a = −k_off/k_on and t = 1/(k_on + k_off) for a telegraph-modulated Poisson source", () => {
    // On for Exp(1/k_off), off for Exp(1/k_on); photons at 4 Mcps while on, split 50:50.
    // g2(τ) = 1 + (k_off/k_on)·e^{−(k_on+k_off)|τ|}: a = −0.5, t = 1/(3 MHz) = 333 ns.
    const kOn = 2e6;
    const kOff = 1e6;
    const rng = new Rng(9);
    const channels: number[] = [];
    const times: number[] = [];
    let t = 0;
    const end = 0.4e12;
    while (t < end) {
      const onUntil = t + rng.exponential(1e12 / kOff);
      for (
        let p = t + rng.exponential(1e12 / 4e6);
        p < Math.min(onUntil, end);
        p += rng.exponential(1e12 / 4e6)
      ) {
        times.push(Math.round(p));
        channels.push(rng.uniform() < 0.5 ? 0 : 1);
      }
      t = onUntil + rng.exponential(1e12 / kOn);
    }
    const { histogram } = correlate(
      [{ channels: Uint8Array.from(channels), timesPs: Float64Array.from(times) }],
      4_000_000,
      4000,
    );
    const g = cwG2(histogram as CorrelationHistogram, { binPs: 4000 });
    expect(g.fit).toBeDefined();
    const fit = g.fit!;
    expect(Math.abs(fit.amplitude - -kOff / kOn)).toBeLessThan(3 * fit.amplitudeError);
    expect(Math.abs(fit.widthPs - 1e12 / (kOn + kOff))).toBeLessThan(3 * fit.widthErrorPs);
    expect(Math.abs(fit.zeroDelayPs)).toBeLessThan(3 * fit.zeroDelayErrorPs);
    expect(g.g2Zero).toBeGreaterThan(1.3);
  });
});
