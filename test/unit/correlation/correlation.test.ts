import { describe, expect, it } from "vitest";
import { CrossCorrelator, normalise, rebin } from "../../../agent/correlation/cross-correlation.js";
import { pulsedG2 } from "../../../agent/correlation/pulsed-g2.js";
import { PtuFile } from "../../../agent/correlation/readers/ptu-file.js";
import { pulsedSource, TagGenerator } from "../../../sim/photons.js";
import { Rng } from "../../../sim/random.js";

/** Every pair with −W ≤ tB − tA < W, by the obvious double loop: the reference the streaming code must equal. */
function bruteForce(a: number[], b: number[], windowPs: number, binPs: number): Float64Array {
  const counts = new Float64Array((2 * windowPs) / binPs);
  for (const ta of a)
    for (const tb of b) {
      const tau = tb - ta;
      if (tau >= -windowPs && tau < windowPs) counts[Math.floor((tau + windowPs) / binPs)]!++;
    }
  return counts;
}

describe("cross-correlation by exact pair counting", () => {
  it("equals the double loop, chunks cut anywhere, with equal times and pairs exactly at ±W", () => {
    const rng = new Rng(17);
    const channels: number[] = [];
    const times: number[] = [];
    let t = 0;
    for (let i = 0; i < 4000; i++) {
      t += Math.floor(rng.uniform() * 900); // dense: many pairs per window, and ties (gap 0)
      channels.push(rng.uniform() < 0.45 ? 0 : rng.uniform() < 0.9 ? 1 : 5);
      times.push(t);
    }
    // Pairs at exactly τ = −W (counted) and τ = +W (not counted).
    channels.push(0, 1, 0);
    times.push(t + 100_000, t + 110_000, t + 120_000);
    const W = 10_000;
    const expected = bruteForce(
      times.filter((_, i) => channels[i] === 0),
      times.filter((_, i) => channels[i] === 1),
      W,
      250,
    );
    const correlator = new CrossCorrelator(0, 1, W, 250);
    let at = 0;
    while (at < times.length) {
      const size = 1 + Math.floor(rng.uniform() * 300);
      correlator.push(
        Uint8Array.from(channels.slice(at, at + size)),
        Float64Array.from(times.slice(at, at + size)),
      );
      at += size;
    }
    const h = correlator.histogram();
    expect([...h.counts]).toEqual([...expected]);
    expect(h.counts[0]).toBeGreaterThan(0);
    expect(h.singles).toEqual([
      channels.filter((c) => c === 0).length,
      channels.filter((c) => c === 1).length,
    ]);
  });

  it("normalises uncorrelated streams to g2(τ) = 1 and rebins without losing a count", () => {
    const rng = new Rng(3);
    const gen = (ch: number, n: number) =>
      Array.from({ length: n }, () => [Math.floor(rng.uniform() * 1e10), ch] as const);
    const events = [...gen(0, 20_000), ...gen(1, 20_000)].sort((x, y) => x[0] - y[0]);
    const c = new CrossCorrelator(0, 1, 1_000_000, 10_000);
    c.push(Uint8Array.from(events.map((e) => e[1])), Float64Array.from(events.map((e) => e[0])));
    const g2 = normalise(c.histogram());
    const mean = g2.reduce((a, b) => a + b, 0) / g2.length;
    // 200 bins of ~800 pairs: the mean of g2 is 1 within a few per mille.
    expect(mean).toBeCloseTo(1, 1);
    const coarse = rebin(c.histogram(), 10);
    expect(coarse.counts.reduce((a, b) => a + b, 0)).toBe(c.histogram().counts.reduce((a, b) => a + b, 0));
  });

  it("refuses a window that is not a whole number of bins, and a chunk that goes back in time", () => {
    expect(() => new CrossCorrelator(0, 1, 1000, 300)).toThrow(RangeError);
    const c = new CrossCorrelator(0, 1, 1000, 100);
    c.push(Uint8Array.of(0), Float64Array.of(5000));
    expect(() => c.push(Uint8Array.of(1), Float64Array.of(4000))).toThrow("before the previous one ended");
  });
});

describe("pulsed g2(0)", () => {
  it("finds the simulated emitter's g2(0) = 0.3 (μ = 0.5, 80 MHz) with the period found from the data", () => {
    const tags = new TagGenerator(new Rng(5)).generate(
      0,
      0.1e12,
      pulsedSource({
        g2Zero: 0.3,
        transmission: 0.2,
        jitterFwhmPs: 50,
        deadTimePs: 0,
        detectors: [
          { channel: 1, efficiency: 1, darkCps: 0, delayPs: 0 },
          { channel: 2, efficiency: 1, darkCps: 0, delayPs: 7_000 },
        ],
      }),
    );
    const c = new CrossCorrelator(1, 2, 300_000, 10);
    c.push(tags.channels, tags.timesPs);
    const g2 = pulsedG2(c.histogram(), { periodPs: "auto" });
    // Exact for the model: 2·P(2)/(μ − P(2)·q)², P(2) = gμ²/2, q = 0.1 → 0.3046.
    const p2 = (0.3 * 0.25) / 2;
    expect(g2.g2Zero / ((2 * p2) / (0.5 - p2 * 0.1) ** 2)).toBeCloseTo(1, 1);
    expect(g2.periodPs).toBeCloseTo(12_500, -1);
    expect(g2.zeroDelayPs).toBeCloseTo(7_000, -2); // the cable delay of detector B
    expect(g2.sidePeaks).toBe(36);
  });

  it("reproduces the reference figures of the real HydraHarp file: 2 coincidences at +23.94 ns against ≈ 506", async () => {
    const ptu = await PtuFile.open("test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu");
    const c = new CrossCorrelator(0, 1, 100_000, 1);
    for await (const chunk of ptu.chunks()) c.push(chunk.channels, chunk.timesPs);
    const g2 = pulsedG2(c.histogram(), { periodPs: "auto" });
    // The peaks' own spacing is 3128 ps (centroids drift 3.1 ps per peak against a 3125 ps grid).
    expect(g2.periodPs).toBeGreaterThan(3126);
    expect(g2.periodPs).toBeLessThan(3130);
    expect(g2.zeroDelayPs / 1000).toBeCloseTo(23.95, 1);
    expect(g2.centreArea).toBe(2);
    expect(g2.sidePeaks).toBe(36);
    expect(Math.abs(g2.sidePeakMeanArea - 505.4) / 505.4).toBeLessThan(0.01);
    expect(g2.g2Zero).toBeCloseTo(0.004, 3);
    expect(g2.g2ZeroError).toBeCloseTo(0.0028, 3);
    // With the nominal 320 MHz period the same peak holds the same 2 coincidences.
    expect(pulsedG2(c.histogram(), { periodPs: 3125 }).centreArea).toBe(2);
  });
});
