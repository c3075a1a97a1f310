/**
 * The Lorentzian fit against scans constructed from its own model with known parameters: exact
 * without noise; with Gaussian noise, unbiased, and its reported errors the scatter they claim.
 */
import { describe, expect, it } from "vitest";
import { fitLorentzian } from "../../../agent/spectral/lorentzian-fit.js";
import { Rng } from "../../../sim/random.js";

const TRUTH = { centreGHz: 2.71, fwhmGHz: 0.9, amplitudeV: 1.2, backgroundV: 0.05 };

function scan(noiseV: number, rng: Rng, points = 150, spanGHz = 6) {
  const f = Float64Array.from({ length: points }, (_, i) => (spanGHz * i) / (points - 1));
  const y = f.map((x) => {
    const u = (x - TRUTH.centreGHz) / (TRUTH.fwhmGHz / 2);
    return TRUTH.backgroundV + TRUTH.amplitudeV / (1 + u * u) + noiseV * rng.normal();
  });
  return { f, y };
}

describe("fitLorentzian", () => {
  it("recovers the parameters exactly from a noiseless scan", () => {
    const { f, y } = scan(0, new Rng(1));
    const fit = fitLorentzian(f, y)!;
    expect(fit.centreGHz).toBeCloseTo(TRUTH.centreGHz, 9);
    expect(fit.fwhmGHz).toBeCloseTo(TRUTH.fwhmGHz, 9);
    expect(fit.amplitudeV).toBeCloseTo(TRUTH.amplitudeV, 9);
    expect(fit.backgroundV).toBeCloseTo(TRUTH.backgroundV, 9);
  });

  it("with noise: unbiased over 300 scans, and the errors it reports are the scatter of its results", () => {
    const rng = new Rng(7);
    const widths: number[] = [];
    const errors: number[] = [];
    const centres: number[] = [];
    const centreErrors: number[] = [];
    for (let k = 0; k < 300; k++) {
      const { f, y } = scan(0.01, rng);
      const fit = fitLorentzian(f, y)!;
      widths.push(fit.fwhmGHz);
      errors.push(fit.fwhmErrorGHz);
      centres.push(fit.centreGHz);
      centreErrors.push(fit.centreErrorGHz);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
    // The mean of 300 lies within 4 standard errors of the truth.
    expect(Math.abs(mean(widths) - TRUTH.fwhmGHz)).toBeLessThan((4 * sd(widths)) / Math.sqrt(300));
    expect(Math.abs(mean(centres) - TRUTH.centreGHz)).toBeLessThan((4 * sd(centres)) / Math.sqrt(300));
    // The reported error is the scatter, to the 10 % a 300-sample standard deviation allows (±4 %/σ).
    expect(mean(errors) / sd(widths)).toBeGreaterThan(0.85);
    expect(mean(errors) / sd(widths)).toBeLessThan(1.15);
    expect(mean(centreErrors) / sd(centres)).toBeGreaterThan(0.85);
    expect(mean(centreErrors) / sd(centres)).toBeLessThan(1.15);
  });

  it("finds no line in a flat scan, in noise alone, or in too few points", () => {
    const f = Float64Array.from({ length: 100 }, (_, i) => i * 0.05);
    expect(
      fitLorentzian(
        f,
        f.map(() => 0.2),
      ),
    ).toBeUndefined();
    const rng = new Rng(3);
    let found = 0;
    for (let k = 0; k < 50; k++)
      if (
        fitLorentzian(
          f,
          f.map(() => 0.2 + 0.01 * rng.normal()),
        )
      )
        found++;
    expect(found).toBe(0);
    const { f: few, y } = scan(0, new Rng(1), 6);
    expect(fitLorentzian(few, y)).toBeUndefined();
  });
});
