/**
 * A detector flooded with light on the simulated bench (the sim's detector-over-bright fault):
 * the agent counts its rate from the time tags, takes the bias off, and keeps the alarm until
 * someone switches the bias on again. The flood is 1 Mcps against a limit of 0.5 Mcps (the
 * detectors' own counts are ~63 kcps): the simulated tagger generates every tag in this process,
 * and a flood above the default 10 Mcps stalls it for seconds on a loaded machine (the cryostat's
 * reading then goes stale and the cryostat interlock rightly trips). The threshold arithmetic is
 * checked exactly in test/unit/agent/over-bright.test.ts.
 */
import { describe, expect, it } from "vitest";
import { benchPerTest } from "../helpers/agent-bench.js";

describe("an over-bright detector", () => {
  const runBench = benchPerTest();

  it("has its bias switched off, and the alarm stays until the bias is switched on again", async () => {
    const running = await runBench("over-bright", {
      "safety.detectorMaxCps": 500_000,
    });
    const { sim, sub, root } = running;
    const detectorA = sim.bench.detectors.get("detectorA")!;
    const biasBefore = detectorA.biasUa;
    expect(biasBefore).toBeGreaterThan(0);
    // Injected now, not scheduled in sim time: a start-up slower than the schedule on a loaded
    // machine would have flooded the detector before its bias was read.
    sim.bench.inject({ fault: "detector-over-bright", device: "detectorA", durationS: 3, floodCps: 1e6 });
    const alarm = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/over-bright-detectorA` && m.payload.active === true,
      15_000,
    );
    expect(alarm.payload.severity).toBe("critical");
    // The rate it saw: above the limit, and no more than the stray light plus the detector's own counts.
    const mcps = Number(/counted ([\d.]+) Mcps/.exec(String(alarm.payload.message))?.[1]);
    expect(mcps).toBeGreaterThan(0.5);
    expect(mcps).toBeLessThan(1.2);
    expect(detectorA.biasUa).toBe(0);
    expect(detectorA.enabled).toBe(false);
    expect(sim.bench.detectors.get("detectorB")!.biasUa).toBe(biasBefore); // only the flooded one

    // The light goes away (the fault's 3 s end); the alarm stays until the bias is switched on.
    while (detectorA.floodCps > 0) await new Promise((r) => setTimeout(r, 50));
    const from = sub.messages.length;
    const on = await sub.request(root, "detector/bias", {
      device: "detectorA",
      on: true,
      biasUa: biasBefore,
    });
    expect(on.status).toBe("ok");
    const cleared = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/over-bright-detectorA` && m.payload.active === false,
      5000,
      from,
    );
    expect(String(cleared.payload.message)).toContain("bias switched on again");
    expect(detectorA.biasUa).toBeCloseTo(biasBefore, 1);
  });
});
