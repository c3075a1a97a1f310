/**
 * `photon-bench analyze` on CW files we write ourselves, whose g2 is known by construction
 * (sim/cw-emitter.ts): the two cases of the issue, scaled down in length — independent 5 Mcps
 * Poisson streams (g2 = 1) and a single emitter whose dip sits 7.3 ns off τ = 0 — as PTU and as a
 * quTAG file whose clock reads 72 h when it starts. Expected values are derived here: the exact
 * pair count by two pointers over the same tags, g2 from the model.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  cwEmitterTags,
  detectorRatesCps,
  poissonStreams,
  singleEmitter,
  type TagBlock,
} from "../../sim/cw-emitter.js";
import { Rng } from "../../sim/random.js";
import { writePtuT2, writeQutag } from "../../sim/tag-files.js";
import { exactPairs, jitteredDipMean } from "../helpers/cw-truth.js";
import { writeLegacyPt } from "../helpers/legacy-synth.js";
import { spawnAgent } from "../helpers/processes.js";
import type { SynthEvent } from "../helpers/ptu-synth.js";

const dir = mkdtempSync(join(tmpdir(), "pb-analyze-cw-"));

async function analyzeJson(args: string[]) {
  const run = spawnAgent(["analyze", ...args, "--json"]);
  const { code } = await run.exit;
  expect(code, run.stderr()).toBe(0);
  return JSON.parse(run.stdout()) as {
    warnings: string[];
    timeOriginPs: string;
    g2: {
      kind: string;
      binPs: number;
      zeroDelayFrom: string;
      centreCounts: number;
      g2Zero: number;
      g2ZeroError: number;
      fit?: { zeroDelayPs: number; zeroDelayErrorPs: number };
    };
  };
}

describe("analyze: CW g2(0) on synthetic files", () => {
  it("independent 5 Mcps Poisson streams, ±500 ns in 1 ns bins: g2(0) = 1 within its error", async () => {
    const file = join(dir, "poisson.ptu");
    writePtuT2(file, cwEmitterTags(new Rng(31), poissonStreams(5e6), 0.4e12), 0.4);
    const { g2, warnings } = await analyzeJson([file, "--window-ns", "500", "--bin-ps", "1000"]);
    expect(g2).toMatchObject({ kind: "cw", binPs: 1000, zeroDelayFrom: "none" });
    // 5 Mcps² · 1 ns · 0.4 s = 10 000 accidentals: ±1 %.
    expect(g2.g2ZeroError).toBeCloseTo(0.01, 3);
    expect(Math.abs(g2.g2Zero - 1)).toBeLessThan(3 * g2.g2ZeroError);
    expect(warnings.join()).toContain("no antibunching dip or bunching peak");
  });

  describe("a single emitter, 2.5 Mcps per detector, the dip at +7.3 ns", () => {
    const emitter = singleEmitter([0, 1], 7300);
    const blocks: TagBlock[] = [];
    const ptu = join(dir, "emitter.ptu");
    const qutag = join(dir, "emitter.qutag");
    const start = 72n * 3_600_000_000_000_000n;
    beforeAll(() => {
      blocks.push(...cwEmitterTags(new Rng(32), emitter, 1e12));
      writePtuT2(ptu, blocks, 1);
      writeQutag(qutag, blocks, start);
    });

    it("--window-ns 50 --bin-ps 100: the bin centred on the fitted dip holds the exact count there, within 3σ", async () => {
      const { g2, warnings } = await analyzeJson([ptu, "--window-ns", "50", "--bin-ps", "100"]);
      expect(warnings).toEqual([]);
      expect(g2).toMatchObject({ kind: "cw", binPs: 100, zeroDelayFrom: "fit" });
      expect(Math.abs(g2.fit!.zeroDelayPs - 7300)).toBeLessThan(3 * g2.fit!.zeroDelayErrorPs);
      const a: number[] = [];
      const b: number[] = [];
      for (const block of blocks)
        for (let i = 0; i < block.channels.length; i++)
          (block.channels[i] === 0 ? a : b).push(block.timesPs[i]!);
      const exact = exactPairs(a, b, 7300 - 50, 7300 + 50);
      expect(Math.abs(g2.centreCounts - exact)).toBeLessThan(3 * Math.sqrt(exact));
      // And the model's value: 1 − ρ_Aρ_B · (the jittered dip averaged over the bin).
      const rho = [0, 1].map((i) => detectorRatesCps(emitter, i)).map((r) => r.signalCps / r.totalCps);
      const expected = 1 - rho[0]! * rho[1]! * jitteredDipMean(100, 1000, Math.hypot(25, 25));
      expect(Math.abs(g2.g2Zero - expected)).toBeLessThan(3 * g2.g2ZeroError);
    });

    it("the same tags in a quTAG file whose clock starts at 72 h give the same numbers, with no precision warning", async () => {
      const fromPtu = await analyzeJson([ptu, "--window-ns", "50", "--bin-ps", "100"]);
      const fromQutag = await analyzeJson([qutag, "--window-ns", "50", "--bin-ps", "100"]);
      expect(fromQutag.warnings).toEqual([]);
      // Times count from the first tag less the 10 ms reorder window.
      expect(fromQutag.timeOriginPs).toBe(String(start + BigInt(blocks[0]!.timesPs[0]!) - 10_000_000_000n));
      expect(fromQutag.g2.centreCounts).toBe(fromPtu.g2.centreCounts);
      expect(fromQutag.g2.g2Zero).toBeCloseTo(fromPtu.g2.g2Zero, 12);
      expect(fromQutag.g2.fit!.zeroDelayPs).toBeCloseTo(fromPtu.g2.fit!.zeroDelayPs, 6);
    });

    it("on one thread and on three (time slices stitched by the window) the histograms are identical", async () => {
      // 5 M records: above the size where analyze starts its workers.
      const csv = (threads: number) => join(dir, `threads-${threads}.csv`);
      for (const threads of [1, 3])
        await analyzeJson([
          ptu,
          "--window-ns",
          "50",
          "--bin-ps",
          "100",
          "--threads",
          String(threads),
          "--csv",
          csv(threads),
        ]);
      const one = readFileSync(csv(1), "utf8");
      expect(one.split("\n").length).toBeGreaterThan(1000);
      expect(readFileSync(csv(3), "utf8")).toBe(one);
    });
  });

  it("a CW fluorescence PT3 file at 44 kcps per channel: a bin that means something by default, and a warning", async () => {
    // A slower emitter (t = 1/(R+Γ) = 2.5 ns), 44 kcps per detector, 5 s, as PicoHarp T3 records
    // against a 10 MHz sync with 32 ps dtime bins (12-bit dtimes: 4096 · 32 ps covers the 100 ns period).
    const base = singleEmitter([0, 1], 0);
    const emitter = {
      excitationRateHz: 0.1e9,
      decayRateHz: 0.3e9,
      detectors: base.detectors.map((d) => ({
        ...d,
        efficiency: 44e3 / 75e6,
        backgroundCps: 500,
        jitterSigmaPs: 50,
      })),
    };
    const events: SynthEvent[] = [];
    for (const block of cwEmitterTags(new Rng(3), emitter, 5e12))
      for (let i = 0; i < block.channels.length; i++) {
        const t = block.timesPs[i]!;
        events.push({
          channel: block.channels[i]!,
          time: Math.floor(t / 100_000),
          dtime: Math.floor((t % 100_000) / 32),
        });
      }
    const file = join(dir, "fluorescence.pt3");
    writeLegacyPt(file, events, { mode: "T3", syncRateHz: 10_000_000, resolutionNs: 0.032 });
    const run = spawnAgent(["analyze", file, "--json"]);
    expect((await run.exit).code, run.stderr()).toBe(0);
    const { g2, warnings, ratesCps, durationS, photons } = JSON.parse(run.stdout()) as {
      photons: Record<string, number>;
      g2: {
        kind: string;
        binPs: number;
        accidentalsPerBin: number;
        g2ZeroError: number;
        centreCounts: number;
      };
      warnings: string[];
      ratesCps: Record<string, number>;
      durationS: number;
    };
    expect(Object.keys(photons)).toEqual(["0", "1"]);
    expect(g2.kind).toBe("cw");
    // Not the 16 ps of the pulsed display: at least 100 ps, a tenth of the dip or more.
    expect(g2.binPs).toBeGreaterThanOrEqual(100);
    // The accidentals are N_A·N_B·Δτ/T of the measured rates, and the error follows from the count.
    const expected = ratesCps["0"]! * ratesCps["1"]! * durationS * g2.binPs * 1e-12;
    expect(g2.accidentalsPerBin).toBeCloseTo(expected, -1);
    expect(g2.g2ZeroError).toBeCloseTo(Math.sqrt(Math.max(g2.centreCounts, 1)) / g2.accidentalsPerBin, 9);
    // Too few per bin for a g2(0) to mean much: the warning names a bin that holds 100.
    const warning = warnings.find((w) => w.includes("accidental pairs expected per"));
    expect(warning).toBeDefined();
    const suggested = Number(/bins of (\d+) ps would hold 100/.exec(warning!)?.[1]);
    expect(suggested * (g2.accidentalsPerBin / g2.binPs)).toBeGreaterThanOrEqual(100);
  });
});
