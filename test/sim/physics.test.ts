/**
 * The simulator's physics, against numbers derived by hand from its model
 * (../shared/BENCH-PHYSICS.md). Tolerances are statistical: each says how many standard errors
 * it allows for the number of events the test generates.
 */
import { describe, expect, it } from "vitest";
import { SimBench } from "../../sim/bench.js";
import { PiezoAxisModel, relativeOverlap, StepperAxisModel } from "../../sim/optics.js";
import { pulsedSource, TagGenerator } from "../../sim/photons.js";
import { Rng } from "../../sim/random.js";
import { simConfig } from "../helpers/bench-config.js";

const timesOf = (batch: { channels: Uint8Array; timesPs: Float64Array }, channel: number) =>
  [...batch.timesPs].filter((_, i) => batch.channels[i] === channel);

describe("fibre coupling", () => {
  it("falls to 1/e at one mode radius and 1/e² at √2 mode radii of lateral offset, to ½ at one Rayleigh range", () => {
    const w = 2.5;
    expect(relativeOverlap({ x: w, y: 0, z: 0 }, w, 21)).toBeCloseTo(Math.exp(-1), 12);
    expect(relativeOverlap({ x: w, y: w, z: 0 }, w, 21)).toBeCloseTo(Math.exp(-2), 12);
    expect(relativeOverlap({ x: 0, y: 0, z: 21 }, w, 21)).toBeCloseTo(0.5, 12);
  });

  it("on the bench: η = η₀·e⁻² with the stage √2·w off the peak (no drift, no hysteresis)", () => {
    const config = simConfig({
      "sim.drift": { thermalAmplitudeUm: 0, randomWalkUmPerSqrtS: 0 },
      "sim.piezo": { hysteresisFraction: 0, creepPerDecade: 0 },
    });
    const bench = new SimBench(config);
    const w = config.sim.optics.modeRadiusUm;
    bench.stage.x!.command(50 + w, 0);
    bench.stage.y!.command(50 + w, 0);
    bench.stage.z!.command(50, 0);
    expect(bench.coupling() / config.sim.optics.peakCoupling).toBeCloseTo(Math.exp(-2), 9);
  });

  it("stepper backlash: after a reversal the first 3 µm of command move nothing; steps are 0.1 µm", () => {
    const axis = new StepperAxisModel(50, 0.1, 3);
    axis.command(60);
    expect(axis.actualUm()).toBeCloseTo(57, 9); // driven up: the carriage trails by the play
    axis.command(58);
    expect(axis.actualUm()).toBeCloseTo(57, 9); // reversal: 2 µm of the 3 µm play, no motion
    axis.command(55);
    expect(axis.actualUm()).toBeCloseTo(55, 9); // past the play: it moves with the command
    axis.command(55.04);
    expect(axis.commandedUm).toBeCloseTo(55, 9); // below half a step: no step
  });

  it("piezo hysteresis: after full sweeps the loop at mid-travel is 70–100 % of h × travel wide", () => {
    const up = new PiezoAxisModel(0, 100, 0.12, 0);
    up.command(50, 1);
    const down = new PiezoAxisModel(0, 100, 0.12, 0);
    down.command(100, 1);
    down.command(50, 2);
    const width = down.actualUm(10) - up.actualUm(10);
    expect(width).toBeGreaterThan(0.7 * 12);
    expect(width).toBeLessThan(12);
  });
});

describe("photon counting", () => {
  it("counts at f·μ·T·½·η per detector, corrected for dead time as n/(1+nτ)", () => {
    const s = pulsedSource({});
    const batch = new TagGenerator(new Rng(7)).generate(0, 2e12, s);
    const n = 80e6 * 0.5 * 0.01 * 0.5 * 0.85; // 170 kcps incident on each detector
    const expected = n / (1 + n * 40e-9);
    const measured = timesOf(batch, 1).length / 2;
    // ~330k counts: one standard error is 0.17 %; allow 1 %.
    expect(measured / expected).toBeGreaterThan(0.99);
    expect(measured / expected).toBeLessThan(1.01);
  });

  it("gives Poissonian counts: variance/mean of counts in 1 ms windows is 1 within 3 standard errors", () => {
    const s = pulsedSource({ deadTimePs: 0 });
    const windows = 2000;
    const counts = new Array<number>(windows).fill(0);
    const batch = new TagGenerator(new Rng(11)).generate(0, windows * 1e9, s);
    for (const t of timesOf(batch, 1)) counts[Math.floor(t / 1e9)]!++;
    const mean = counts.reduce((a, b) => a + b, 0) / windows;
    const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / (windows - 1);
    const fano = variance / mean;
    // The variance of a sample variance: relative standard error √(2/(N−1)) ≈ 3.2 % for N = 2000.
    expect(Math.abs(fano - 1)).toBeLessThan(3 * Math.sqrt(2 / (windows - 1)));
    expect(mean).toBeGreaterThan(150);
  });

  it("caps the count rate with its dead time: 100 Mcps of dark counts at τ = 40 ns give 20 Mcps, no gap below τ", () => {
    const s = pulsedSource({
      pulsing: false,
      detectors: [{ channel: 1, efficiency: 0, darkCps: 1e8, delayPs: 0 }],
    });
    const batch = new TagGenerator(new Rng(3)).generate(0, 10e9, s);
    const times = timesOf(batch, 1);
    const rate = times.length / 10e-3;
    expect(rate / (1e8 / (1 + 1e8 * 40e-9))).toBeCloseTo(1, 2);
    let minGap = Number.POSITIVE_INFINITY;
    for (let i = 1; i < times.length; i++) minGap = Math.min(minGap, times[i]! - times[i - 1]!);
    expect(minGap).toBeGreaterThanOrEqual(40_000);
  });

  it("reproduces the emitter's g2(0) in the HBT coincidences (zero-delay peak over side peaks)", () => {
    const g = 0.3;
    const mu = 0.5;
    const q = 0.5 * 0.2; // per photon and detector: ½ splitter × transmission 0.2 × efficiency 1
    const s = pulsedSource({
      g2Zero: g,
      photonsPerPulse: mu,
      transmission: 0.2,
      lifetimePs: 100,
      jitterFwhmPs: 0,
      deadTimePs: 0,
      detectors: [
        { channel: 1, efficiency: 1, darkCps: 0, delayPs: 0 },
        { channel: 2, efficiency: 1, darkCps: 0, delayPs: 0 },
      ],
    });
    const batch = new TagGenerator(new Rng(5)).generate(0, 0.1e12, s);
    const a = timesOf(batch, 1);
    const b = timesOf(batch, 2);
    const period = 12_500;
    const peaks = new Map<number, number>();
    let lo = 0;
    for (const t of a) {
      while (lo < b.length && b[lo]! < t - 3.5 * period) lo++;
      for (let j = lo; j < b.length && b[j]! < t + 3.5 * period; j++) {
        const k = Math.round((b[j]! - t) / period);
        peaks.set(k, (peaks.get(k) ?? 0) + 1);
      }
    }
    const side = [-3, -2, -1, 1, 2, 3].map((k) => peaks.get(k) ?? 0);
    const g2 = (peaks.get(0) ?? 0) / (side.reduce((x, y) => x + y, 0) / side.length);
    // Exactly, for this model: C₀/C_side = 2·P(2) / ((μ − P(2)·q)²) with P(2) = g·μ²/2.
    const p2 = (g * mu * mu) / 2;
    const expected = (2 * p2) / (mu - p2 * q) ** 2;
    // ~6k centre coincidences: one standard error ≈ 1.4 %; allow 5 %.
    expect(g2 / expected).toBeGreaterThan(0.95);
    expect(g2 / expected).toBeLessThan(1.05);
  });

  it("after a 15 µm knock (coupling ~1e-17) the detectors see only their dark counts, and generation ends", () => {
    // The generator once looped for ever here: log(1 − p) = 0 for p below double resolution.
    const source = pulsedSource({
      transmission: 1e-19,
      detectors: [{ channel: 1, efficiency: 0.85, darkCps: 1000, delayPs: 0 }],
    });
    const tags = new TagGenerator(new Rng(6)).generate(0, 0.1e12, source);
    // 1000 cps of dark counts for 0.1 s: 100 ± 30.
    expect(tags.channels.length).toBeGreaterThan(70);
    expect(tags.channels.length).toBeLessThan(130);
  });

  it("is reproducible: the same seed gives the same tags, another seed different ones", () => {
    const s = pulsedSource({ g2Zero: 0.02 });
    const one = new TagGenerator(new Rng(42)).generate(0, 1e10, s);
    const two = new TagGenerator(new Rng(42)).generate(0, 1e10, s);
    const other = new TagGenerator(new Rng(43)).generate(0, 1e10, s);
    expect([...two.timesPs]).toEqual([...one.timesPs]);
    expect([...two.channels]).toEqual([...one.channels]);
    expect([...other.timesPs]).not.toEqual([...one.timesPs]);
  });

  it("emits every tag inside its chunk and in time order, with none lost at chunk boundaries", () => {
    const s = pulsedSource({ deadTimePs: 0, jitterFwhmPs: 500 });
    const whole = new TagGenerator(new Rng(9)).generate(0, 4e9, s);
    const chunked = new TagGenerator(new Rng(9));
    const parts = [0, 1e9, 2e9, 3e9].map((t0) => ({ t0, batch: chunked.generate(t0, t0 + 1e9, s) }));
    for (const { t0, batch } of parts) {
      const t = [...batch.timesPs];
      expect(t.every((x, i) => x >= t0 && x < t0 + 1e9 && (i === 0 || x >= t[i - 1]!))).toBe(true);
    }
    // Different draw order, same process: totals agree within Poisson noise (~0.5 %).
    const total = parts.reduce((n, p) => n + p.batch.timesPs.length, 0);
    expect(Math.abs(total - whole.timesPs.length) / whole.timesPs.length).toBeLessThan(0.03);
  });
});

describe("cryostat", () => {
  it("warms the detector stage past 3.2 K at τ·ln((T_amb − T_base)/(T_amb − 3.2 K)) after a compressor trip", () => {
    const bench = new SimBench(simConfig());
    const { warmTimeConstantS: tau, ambientK, baseTempK } = bench.config.sim.cryostat;
    const crossing = tau * Math.log((ambientK - baseTempK) / (ambientK - 3.2)); // 14.4 s with the defaults
    bench.inject({ fault: "compressor-trip" });
    bench.advanceTo(crossing - 0.5);
    expect(bench.cryostat.stageK).toBeLessThan(3.2);
    expect(bench.cryostatOk()).toBe(false); // the compressor's OK relay opened at once
    bench.advanceTo(crossing + 0.5);
    expect(bench.cryostat.stageK).toBeGreaterThan(3.2);
  });

  it("stops an SNSPD counting once the stage passes its critical temperature, and latches it", () => {
    const bench = new SimBench(simConfig());
    const detector = bench.detectors.get("detectorA")!;
    expect(bench.detectorEfficiency(detector)).toBeGreaterThan(0.8);
    bench.inject({ fault: "compressor-trip" });
    bench.advanceTo(30); // 3.5 K is crossed at ≈ 20.5 s
    expect(detector.latched).toBe(true);
    expect(bench.detectorEfficiency(detector)).toBe(0);
    expect(bench.monitorMv(detector)).toBeGreaterThan(20); // 9 µA × 5 mV/µA = 45 mV at the bias tee
  });
});
