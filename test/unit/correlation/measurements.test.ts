/**
 * The measurements against numbers derived by hand or by brute force, on synthetic streams whose
 * lifetime, jitter, g2(0), background and heralding efficiency are known by construction.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../../agent/correlation/analyze.js";
import { type CorrelationHistogram, CrossCorrelator } from "../../../agent/correlation/cross-correlation.js";
import { cwG2 } from "../../../agent/correlation/cw-g2.js";
import { homDipCw, homVisibilityPulsed } from "../../../agent/correlation/hom.js";
import { LogCorrelator, logEdgesPs } from "../../../agent/correlation/log-bins.js";
import type { PulsedG2 } from "../../../agent/correlation/pulsed-g2.js";
import { brightness, channelRate, heraldingEfficiency } from "../../../agent/correlation/rates.js";
import { Rng } from "../../../sim/random.js";
import { writeLegacyPt } from "../../helpers/legacy-synth.js";
import type { SynthEvent } from "../../helpers/ptu-synth.js";

const dir = mkdtempSync(join(tmpdir(), "pb-measure-"));

/** Merges per-channel time lists into one time-ordered stream. */
function merge(...streams: number[][]): { channels: Uint8Array; timesPs: Float64Array } {
  const all = streams.flatMap((times, ch) => times.map((t) => [t, ch] as const)).sort((a, b) => a[0] - b[0]);
  return { channels: Uint8Array.from(all, (e) => e[1]), timesPs: Float64Array.from(all, (e) => e[0]) };
}

function poisson(rng: Rng, rateCps: number, durationPs: number, startPs = 0): number[] {
  const out: number[] = [];
  for (
    let t = startPs + rng.exponential(1e12 / rateCps);
    t < durationPs;
    t += rng.exponential(1e12 / rateCps)
  )
    out.push(Math.round(t));
  return out;
}

function correlate(stream: ReturnType<typeof merge>, windowPs: number, binPs: number): CorrelationHistogram {
  const c = new CrossCorrelator(0, 1, windowPs, binPs);
  c.push(stream.channels, stream.timesPs);
  return c.histogram();
}

describe("lifetime and jitter from the histogram against the sync", () => {
  it("a T3 file with τ = 1.2 ns on channel 0 and a 50 ps-σ laser reflection on channel 1: lifetime and FWHM 2.355σ come back", async () => {
    const rng = new Rng(11);
    const periodPs = 25_000;
    const unitPs = 4;
    const events: SynthEvent[] = [];
    let nsync = 0;
    for (let i = 0; i < 120_000; i++) {
      nsync += 1 + Math.floor(rng.uniform() * 40);
      const channel = i % 2;
      // 2 % flat background on the emitter channel; the rest: 5 ns latency + IRF (+ decay on channel 0).
      const delay =
        channel === 0 && rng.uniform() < 0.02
          ? rng.uniform() * periodPs
          : 5000 + 50 * rng.normal() + (channel === 0 ? rng.exponential(1200) : 0);
      events.push({
        channel,
        time: nsync,
        dtime: Math.floor((((delay % periodPs) + periodPs) % periodPs) / unitPs),
      });
    }
    const file = join(dir, "decay.pt3");
    writeLegacyPt(file, events, { mode: "T3", syncRateHz: 40_000_000, resolutionNs: 0.004 });
    const a = await analyzeFile(file, { windowPs: 100_000, binPs: 100, periodPs: "auto", force: false });
    const emitter = a.lifetime!["0"]!;
    const laser = a.lifetime!["1"]!;
    expect(emitter.lifetimePs! / emitter.lifetimeErrorPs!).toBeGreaterThan(100);
    expect(Math.abs(emitter.lifetimePs! - 1200)).toBeLessThan(3 * emitter.lifetimeErrorPs!);
    expect(laser.fwhmPs).toBeGreaterThan(2.3548 * 50 - 6);
    expect(laser.fwhmPs).toBeLessThan(2.3548 * 50 + 6);
    expect(laser.peakPs).toBeGreaterThan(4990);
    expect(laser.peakPs).toBeLessThan(5010);
    expect(a.syncRateHz).toBe(40_000_000);
    // 60 000 photons on channel 0 over the run's pulses.
    expect(a.brightness!["0"]!.detectedPerPulse).toBeCloseTo(60_000 / (a.durationS * 40e6), 9);
  });
});

describe("count rates, dead time and brightness", () => {
  it("a 10 Mcps Poisson stream behind a 40 ns non-paralysable dead time: the corrected rate is the true one", () => {
    const rng = new Rng(5);
    const deadPs = 40_000;
    const truth = poisson(rng, 10e6, 0.05e12);
    const seen: number[] = [];
    for (const t of truth) if (seen.length === 0 || t - seen.at(-1)! >= deadPs) seen.push(t);
    const r = channelRate(seen.length, 0.05, deadPs);
    // Expected measured rate n/(1 + nτ) = 10e6/1.4; correction inverts it within Poisson error (0.2 %).
    expect(r.rateCps / (10e6 / 1.4)).toBeCloseTo(1, 2);
    expect(r.correctedRateCps! / (truth.length / 0.05)).toBeCloseTo(1, 2);
    expect(r.saturated).toBe(true);
    const low = channelRate(1000, 1, deadPs);
    expect(low.saturated).toBe(false);
    expect(low.deadFraction).toBeCloseTo(4e-5, 15);
  });

  it("brightness: 56 kcps at 80 MHz is 7.0e-4 detected per pulse, 0.0116 at the first lens with 6 % set-up efficiency", () => {
    const b = brightness(56_000, 80e6, 0.06);
    expect(b.detectedPerPulse).toBeCloseTo(7e-4, 12);
    expect(b.atFirstLensPerPulse).toBeCloseTo(7e-4 / 0.06, 12);
    expect(() => brightness(1, 0)).toThrow("needs the sync rate");
  });
});

describe("CW g2(0) with background correction", () => {
  it("an antibunched source (no two photons within 2 ns) under Poisson background: raw ≈ 1 − ρ², corrected ≈ 0", () => {
    const rng = new Rng(21);
    const durationPs = 0.5e12;
    const a: number[] = [];
    const b: number[] = [];
    // Emissions 2 ns + exponential(500 ns) apart, each to A or B: 1 Mcps per detector, g_s(0) = 0.
    for (let t = 0; t < durationPs; t += 2000 + rng.exponential(500_000))
      (rng.uniform() < 0.5 ? a : b).push(Math.round(t));
    const bgCps = 500_000;
    const stream = merge(
      [...a, ...poisson(rng, bgCps, durationPs)].sort((x, y) => x - y),
      [...b, ...poisson(rng, bgCps, durationPs)].sort((x, y) => x - y),
    );
    const h = correlate(stream, 5000, 500);
    const g = cwG2(h, { backgroundCps: [bgCps, bgCps] });
    // ρ = S/(S+B) by construction: the source's photons over all on that channel.
    expect(g.rho![0]).toBeCloseTo(a.length / h.singles[0], 2);
    expect(g.rho![1]).toBeCloseTo(b.length / h.singles[1], 2);
    expect(Math.abs(g.g2Zero - (1 - g.rho![0] * g.rho![1]))).toBeLessThan(3 * g.g2ZeroError);
    expect(Math.abs(g.g2ZeroCorrected!)).toBeLessThan(3 * g.g2ZeroCorrectedError!);
    expect(g.g2ZeroCorrectedError).toBeLessThan(0.15);
    expect(() => cwG2(h, { backgroundCps: [5e6, 0] })).toThrow("is not below its measured rate");
  });
});

describe("heralding efficiency", () => {
  it("heralds at 1 Mcps, 30 % of them followed 5 ns later by a signal photon, plus 200 kcps signal background: η = 0.30", () => {
    const rng = new Rng(31);
    const durationPs = 0.2e12;
    const heralds = poisson(rng, 1e6, durationPs);
    const signal = heralds
      .filter(() => rng.uniform() < 0.3)
      .map((t) => t + 5000 + Math.round(60 * rng.normal()));
    const stream = merge(
      heralds,
      [...signal, ...poisson(rng, 2e5, durationPs)].sort((x, y) => x - y),
    );
    const h = correlate(stream, 20_000, 100);
    const her = heraldingEfficiency(h, 0, 5000, 1000);
    expect(her.heraldSingles).toBe(heralds.length);
    expect(her.accidentals).toBeCloseTo((h.singles[0] * h.singles[1] * 1000) / h.spanPs, 6);
    expect(Math.abs(her.efficiency - 0.3)).toBeLessThan(3 * her.efficiencyError);
    expect(her.efficiencyError).toBeLessThan(0.002);
  });
});

describe("HOM visibility", () => {
  const pulsed = (g2Zero: number, g2ZeroError: number) => ({ g2Zero, g2ZeroError }) as PulsedG2;

  it("pulsed: g2∥ = 0.10 ± 0.01 against g2⊥ = 0.50 ± 0.02 gives V = 0.80 ± 0.2·√(0.1² + 0.04²) = 0.80 ± 0.0215", () => {
    const v = homVisibilityPulsed(pulsed(0.1, 0.01), pulsed(0.5, 0.02));
    expect(v.visibility).toBeCloseTo(0.8, 12);
    expect(v.visibilityError).toBeCloseTo(0.2 * Math.hypot(0.1, 0.04), 12);
    expect(() => homVisibilityPulsed(pulsed(0.1, 0.01), pulsed(0, 0.01))).toThrow("undefined");
  });

  it("CW dip: a plateau of 400 per bin and 100 at the dip is V = 0.75", () => {
    const counts = new Float64Array(100).fill(400);
    counts[50] = 100;
    const h: CorrelationHistogram = {
      channels: [0, 1],
      windowPs: 5000,
      binPs: 100,
      counts,
      singles: [1, 1],
      spanPs: 1,
    };
    const dip = homDipCw(h, 0, 2000);
    expect(dip.dipCounts).toBe(100);
    expect(dip.plateauPerBin).toBe(400);
    expect(dip.plateauBins).toBe(60);
    expect(dip.visibility).toBeCloseTo(0.75, 12);
    expect(dip.visibilityError).toBeCloseTo(0.25 * Math.sqrt(1 / 100 + 1 / (400 * 60)), 12);
  });
});

describe("multi-tau (log-binned) correlation", () => {
  it("counts every pair within ±max exactly once in the right log bin, across chunk cuts, against a double loop", () => {
    const rng = new Rng(41);
    const edges = logEdgesPs(100, 1_000_000, 7);
    expect(edges[0]).toBe(0);
    expect(edges[1]).toBe(100);
    expect(edges.at(-1)).toBe(1_000_000);
    // Some pairs land exactly on edges: B copies of A events shifted by ±edge.
    const a = poisson(rng, 2e6, 2e9);
    const b = [...poisson(rng, 2e6, 2e9)];
    for (let i = 0; i < 200; i++) {
      const t = a[Math.floor(rng.uniform() * a.length)]!;
      const e = edges[Math.floor(rng.uniform() * edges.length)]!;
      b.push(t + (i % 2 ? e : -e));
    }
    b.sort((x, y) => x - y);
    const stream = merge(a, b);
    const c = new LogCorrelator(0, 1, edges);
    for (let at = 0; at < stream.timesPs.length; at += 333)
      c.push(stream.channels.subarray(at, at + 333), stream.timesPs.subarray(at, at + 333));
    const h = c.histogram();
    const positive = new Float64Array(edges.length - 1);
    const negative = new Float64Array(edges.length - 1);
    const max = edges.at(-1)!;
    for (const ta of a)
      for (const tb of b) {
        const tau = tb - ta;
        if (tau >= 0 && tau < max) positive[edges.findLastIndex((e) => e <= tau)]!++;
        else if (tau < 0 && -tau <= max) negative[edges.findIndex((e) => e >= -tau) - 1]!++;
      }
    expect([...h.positive]).toEqual([...positive]);
    expect([...h.negative]).toEqual([...negative]);
    expect(h.positive.reduce((x, y) => x + y, 0)).toBeGreaterThan(1000);
  });
});
