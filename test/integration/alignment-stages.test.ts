/**
 * The aligner on the piezo controllers labs own, on the simulated bench: the same search and
 * tracking as on the DAC stage, through the Thorlabs drivers' serial protocols (KPZ101 cubes over
 * APT binary messages, one per axis; an MDT693B over its text protocol) to the sim's optics.
 */
import { describe, expect, it } from "vitest";
import { benchPerTest } from "../helpers/agent-bench.js";

const cube = (axis: string) => ({ serial: { path: `/dev/ttyKPZ-${axis}` }, umPerV: 100 / 75 });

describe("alignment on Thorlabs controllers", () => {
  const runBench = benchPerTest();

  for (const [kind, stage] of [
    [
      "KPZ101 cubes",
      { type: "thorlabs-kpz101", voltageLimitV: 75, axes: { x: cube("x"), y: cube("y"), z: cube("z") } },
    ],
    [
      "an MDT693B",
      {
        type: "thorlabs-mdt",
        model: "MDT693B",
        serial: { path: "/dev/ttyMDT" },
        axes: {
          x: { channel: "x", umPerV: 1 },
          y: { channel: "y", umPerV: 1 },
          z: { channel: "z", umPerV: 1 },
        },
      },
    ],
  ] as const)
    it(`finds the peak from 6 µm off and tracks it, on ${kind}`, async () => {
      const running = await runBench(`align-${stage.type}`, {
        "alignment.publishEveryS": 0.2,
        "devices.stage": stage,
        "sim.initial": { stagePositionUm: { x: 44, y: 54, z: 50 } },
      });
      const { sim, sub, root } = running;
      const peak = sim.bench.config.sim.optics.peakCoupling;
      expect(sim.bench.coupling() / peak).toBeLessThan(0.2);
      await sub.waitFor(
        (m) =>
          m.topic === `${root}/alignment` &&
          m.payload.mode === "track" &&
          Number(m.payload.fractionOfPeak) > 0.9,
        30_000,
      );
      expect(sim.bench.coupling() / peak).toBeGreaterThan(0.9);
      const position = sim.bench.stagePositionUm();
      expect(Math.hypot(position.x - 50, position.y - 50)).toBeLessThan(1);
    }, 45_000);
});
