/**
 * The live correlator's periods against an offline correlation of the same tags cut at the same
 * times, whatever the chunking and the epochs the stream arrives in; restarts; rates and brightness.
 */
import { describe, expect, it } from "vitest";
import { CrossCorrelator, fineBinPs } from "../../../agent/correlation/cross-correlation.js";
import { type CwG2, cwG2 } from "../../../agent/correlation/cw-g2.js";
import {
  LiveCorrelationEngine,
  type LiveSettings,
  type Measurement,
} from "../../../agent/correlation/live-engine.js";
import { cwEmitterTags, singleEmitter } from "../../../sim/cw-emitter.js";
import { pulsedSource, TagGenerator } from "../../../sim/photons.js";
import { Rng } from "../../../sim/random.js";

const TWO_32 = 2 ** 32;
const INTEGRATION_PS = 20e9; // 20 ms

const settings: LiveSettings = {
  integrationPs: INTEGRATION_PS,
  detectors: { detectorA: 1, detectorB: 2 },
  syncChannel: 0,
  syncDivider: 1000,
  deadTimePs: { detectorA: 40_000, detectorB: 40_000 },
  setupEfficiency: 0.05,
  histograms: [
    {
      name: "hbt",
      a: { detector: "detectorA", channel: 1 },
      b: { detector: "detectorB", channel: 2 },
      windowPs: 100_000,
      binPs: 100,
      periodPs: "auto",
    },
  ],
};

/** 0.1 s of an 80 MHz source with g2(0) = 0.1, photons on channels 1 and 2, sync tags on 0. */
const source = new TagGenerator(new Rng(3)).generate(
  0,
  0.1e12,
  pulsedSource({ g2Zero: 0.1, transmission: 0.05, syncChannel: 0 }),
);

/** Feeds the stream in chunks of `size`, each with the epoch `epochOf(first time)`. */
function feed(engine: LiveCorrelationEngine, size: number, epochOf: (t: number) => number): Measurement[] {
  const out: Measurement[] = [];
  for (let at = 0; at < source.timesPs.length; at += size) {
    const times = source.timesPs.slice(at, at + size);
    const epochPs = epochOf(times[0]!);
    out.push(
      ...engine.push({
        channels: source.channels.slice(at, at + size),
        timesPs: times.map((t) => t - epochPs),
        epochPs,
      }),
    );
  }
  return out;
}

const decode = (base64: string) => [...new Uint32Array(Buffer.from(base64, "base64").buffer.slice(0))];

describe("live correlation engine", () => {
  it("each period's histogram equals an offline correlation of exactly that period's tags", () => {
    const engine = new LiveCorrelationEngine(settings);
    const out = feed(engine, 4096, () => 0);
    const hbt = out.filter((m) => m.name === "hbt");
    // 0.1 s from the first tag: four whole 20 ms periods are published, the fifth is still open.
    expect(hbt).toHaveLength(4);
    const start = source.timesPs[0]!;
    hbt.forEach((m, k) => {
      const offline = new CrossCorrelator(1, 2, 100_000, 100);
      const inPeriod = [...source.timesPs.keys()].filter((i) => {
        const t = source.timesPs[i]!;
        return t >= start + k * INTEGRATION_PS && t < start + (k + 1) * INTEGRATION_PS;
      });
      offline.push(
        Uint8Array.from(inPeriod, (i) => source.channels[i]!),
        Float64Array.from(inPeriod, (i) => source.timesPs[i]!),
      );
      const histogram = m.payload.histogram as { countsBase64: string; bins: number; firstTauPs: number };
      expect(histogram.bins).toBe(2000);
      expect(histogram.firstTauPs).toBe(-100_000);
      const reference = offline.histogram();
      expect(decode(histogram.countsBase64)).toEqual([...reference.counts]);
      expect(m.payload.singles).toEqual({
        a: reference.singles[0],
        b: reference.singles[1],
      });
      expect(m.payload.period).toBe(k);
    });
  });

  it("gives identical measurements whatever the chunk size and the epochs (multiples of 2^32 ps) the tags come in", () => {
    const plain = feed(new LiveCorrelationEngine(settings), 4096, () => 0);
    // Epoch moves every ~4.3 ms: every chunk's times are small numbers from a different epoch.
    const epochs = feed(new LiveCorrelationEngine(settings), 777, (t) => Math.floor(t / TWO_32) * TWO_32);
    expect(epochs).toEqual(plain);
  });

  it("measures g2(0) of the g2(0) = 0.1 source, the rates, and brightness per pulse from the divided sync", () => {
    const out = feed(new LiveCorrelationEngine(settings), 65_536, () => 0);
    const hbt = out.filter((m) => m.name === "hbt");
    // Pool the four periods' peak areas for a tighter figure.
    const g2s = hbt.map(
      (m) => m.payload.g2 as { kind: string; centreArea: number; sidePeakMeanArea: number },
    );
    expect(g2s.every((g) => g.kind === "pulsed")).toBe(true);
    const centre = g2s.reduce((a, g) => a + g.centreArea, 0);
    const side = g2s.reduce((a, g) => a + g.sidePeakMeanArea, 0);
    // The centre area's Poisson error dominates (the side mean pools many peaks).
    expect(Math.abs(centre / side - 0.1)).toBeLessThan((3 * Math.sqrt(centre)) / side);
    expect(centre).toBeGreaterThan(50);
    const rates = out.find((m) => m.name === "rates")!.payload as {
      syncRateHz: number;
      detectors: Record<
        string,
        { photons: number; rateCps: number; correctedRateCps: number; detectedPerPulse: number }
      >;
    };
    // Sync tags every 1000 pulses of 12.5 ns: 80 MHz after the divider, to within one tag per period.
    expect(Math.abs(rates.syncRateHz - 80e6)).toBeLessThanOrEqual((1000 / 0.02) * 1.0001);
    const a = rates.detectors.detectorA!;
    expect(a.rateCps).toBe(a.photons / 0.02);
    expect(a.correctedRateCps).toBeCloseTo(a.rateCps / (1 - a.rateCps * 40e-9), 6);
    expect(a.detectedPerPulse).toBeCloseTo(a.correctedRateCps / rates.syncRateHz, 12);
  });

  it("a stream that goes back in time (tagger restart) drops the partial period, counts it, and carries on", () => {
    const engine = new LiveCorrelationEngine(settings);
    const first = feed(engine, 65_536, () => 0);
    const again = feed(engine, 65_536, () => 0);
    expect(engine.restarts).toBe(1);
    expect(again.filter((m) => m.name === "hbt").map((m) => m.payload.period)).toEqual([4, 5, 6, 7]);
    expect(again.map((m) => m.payload.histogram)).toEqual(first.map((m) => m.payload.histogram));
  });

  it("HOM: pulsed V = 1 − g2(0)/g2⊥(0) against a distinguishable reference; CW dip depth of a stream with 70 % of zero-delay pairs removed", () => {
    const pulsed = new LiveCorrelationEngine({
      ...settings,
      histograms: [
        {
          ...settings.histograms[0]!,
          hom: { kind: "pulsed", orthogonalG2Zero: 0.5, orthogonalG2ZeroError: 0.01 },
        },
      ],
    });
    const out = feed(pulsed, 65_536, () => 0).filter((m) => m.name === "hbt");
    for (const m of out) {
      const g2 = m.payload.g2 as { g2Zero: number };
      const hom = m.payload.hom as { visibility: number; visibilityError: number };
      expect(hom.visibility).toBeCloseTo(1 - g2.g2Zero / 0.5, 12);
      // The source's g2(0) = 0.1 against 0.5: V ≈ 0.8.
      expect(Math.abs(hom.visibility - 0.8)).toBeLessThan(3 * hom.visibilityError);
    }

    // CW: two 1 Mcps Poisson streams; a B tag within [0, 1 ns) after an A tag is removed with p = 0.7.
    const rng = new Rng(77);
    const a: number[] = [];
    const b: number[] = [];
    for (let t = rng.exponential(1e6); t < 0.2e12; t += rng.exponential(1e6)) a.push(Math.round(t));
    for (let t = rng.exponential(1e6); t < 0.2e12; t += rng.exponential(1e6)) b.push(Math.round(t));
    let k = 0;
    const kept = b.filter((tb) => {
      while (k < a.length && a[k]! <= tb - 1000) k++;
      const paired = k < a.length && a[k]! <= tb; // an A in (tb − 1 ns, tb]
      return !(paired && rng.uniform() < 0.7);
    });
    const merged = [...a.map((t) => [t, 1] as const), ...kept.map((t) => [t, 2] as const)].sort(
      (x, y) => x[0] - y[0],
    );
    const cw = new LiveCorrelationEngine({
      ...settings,
      syncChannel: undefined,
      integrationPs: 0.1e12,
      histograms: [
        {
          ...settings.histograms[0]!,
          binPs: 1000,
          periodPs: "cw",
          hom: { kind: "cw-dip", dipDelayPs: 0, farNs: 20 },
        },
      ],
    });
    const dips = cw
      .push({
        channels: Uint8Array.from(merged, (e) => e[1]),
        timesPs: Float64Array.from(merged, (e) => e[0]),
        epochPs: 0,
      })
      .filter((m) => m.name === "hbt")
      .map((m) => m.payload.hom as { visibility: number; visibilityError: number; plateauPerBin: number });
    expect(dips).toHaveLength(1);
    expect(dips[0]!.plateauPerBin).toBeGreaterThan(50);
    expect(Math.abs(dips[0]!.visibility - 0.7)).toBeLessThan(3 * dips[0]!.visibilityError);
  });

  it("CW: g2(0) by the same code as analyze — the bin centred on the fitted dip, 7.3 ns off τ = 0", () => {
    // A two-level emitter (t = 1 ns) behind a 7.3 ns cable delay on detector b (sim/cw-emitter.ts).
    const emitter = singleEmitter([1, 2]);
    const hbt = { ...settings.histograms[0]!, windowPs: 50_000, binPs: 100, periodPs: "cw" as const };
    const engine = new LiveCorrelationEngine({
      ...settings,
      syncChannel: undefined,
      integrationPs: 0.3e12,
      histograms: [hbt],
    });
    const offline = new CrossCorrelator(1, 2, 50_000, fineBinPs(50_000, 100));
    const out: Measurement[] = [];
    let firstPs: number | undefined;
    for (const block of cwEmitterTags(new Rng(4), emitter, 0.31e12)) {
      out.push(...engine.push({ ...block, epochPs: 0 }));
      // The engine's period starts at the first tag.
      firstPs ??= block.timesPs[0]!;
      const inPeriod = block.timesPs.findLastIndex((t) => t < firstPs! + 0.3e12) + 1;
      offline.push(block.channels.subarray(0, inPeriod), block.timesPs.subarray(0, inPeriod));
    }
    const live = out.find((m) => m.name === "hbt")!.payload.g2 as CwG2;
    const reference = cwG2({ ...offline.histogram(), spanPs: 0.3e12 }, { binPs: 100 });
    expect(live.zeroDelayFrom).toBe("fit");
    expect(live.zeroDelayPs).toBe(reference.zeroDelayPs);
    expect(live.centreCounts).toBe(reference.centreCounts);
    expect(live.g2Zero).toBe(reference.g2Zero);
    expect(Math.abs(live.fit!.zeroDelayPs - 7300)).toBeLessThan(3 * live.fit!.zeroDelayErrorPs);
    expect(live.g2Zero).toBeLessThan(0.3);
  });
});
