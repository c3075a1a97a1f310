/**
 * The agent with the simulated bench in one process, faults injected into the bench while it
 * runs: interlocks act within one tick, faulted devices show their error and come back, and the
 * other devices keep being served meanwhile.
 */
import { describe, expect, it } from "vitest";
import type { SimFaultEvent } from "../../config/sim.js";
import type { SimulatedBench } from "../../sim/provider.js";
import { benchPerTest } from "../helpers/agent-bench.js";

/** Resolves with the milliseconds until `condition` holds (polled every event-loop turn). */
async function msUntil(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
  return performance.now() - started;
}

describe("the agent on the simulated bench, with faults", () => {
  const start = benchPerTest();

  const inject = (sim: SimulatedBench, fault: Omit<SimFaultEvent, "atS">) => sim.bench.inject(fault);

  it("door open: laser permit dropped and emission off; latched until reset, then back on command", async () => {
    const { sim, sub, root, agent } = await start("safety-door");
    await sub.waitFor((m) => m.topic === `${root}/telemetry/laser` && m.payload.state === "ok");
    expect(sim.bench.laser.emission).toBe(true);
    inject(sim, { fault: "door-open", durationS: 1 });
    // How fast: bench/interlock.ts (a figure, not a wall-clock assertion that fails on a busy machine).
    await msUntil(() => !sim.bench.laser.permit && !sim.bench.laser.emission, 1000);
    expect(sim.bench.laserOutputMw()).toBe(0);
    const alarm = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-door` && m.payload.active === true,
    );
    expect(alarm.payload.message).toBe("door tripped");
    expect(alarm.retain).toBe(false);
    // Door shut again: the rule stays latched — permit low, alarm active, commands refused.
    const latched = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-door` && String(m.payload.message).includes("latched"),
      5000,
    );
    expect(latched.payload.active).toBe(true);
    expect(sim.bench.doorOpen).toBe(false);
    expect(sim.bench.laser.permit).toBe(false);
    const refused = await sub.request(root, "laser/emission", { on: true });
    expect(refused).toMatchObject({ status: "error", error: { code: "interlock" } });
    expect(refused.error?.message).toContain("door");
    expect(sim.bench.laser.emission).toBe(false);

    // The operator resets the interlock, then switches the laser back on.
    const reset = await sub.request(root, "interlock/reset");
    expect(reset).toMatchObject({ status: "ok", data: { reset: ["door"], stillTripped: [] } });
    expect(sim.bench.laser.permit).toBe(true);
    expect(sim.bench.laser.emission).toBe(false); // reset alone switches nothing on
    const from = sub.messages.length;
    const on = await sub.request(root, "laser/emission", { on: true });
    expect(on).toMatchObject({ status: "ok", data: { device: "laser", emission: true } });
    expect(sim.bench.laserOutputMw()).toBeGreaterThan(0);
    // A read already under way when the command ran may show the old state; the next round shows it on.
    await sub.withinNextRound(
      `${root}/telemetry/laser`,
      (m) => (m.payload.values as { emission?: boolean } | undefined)?.emission === true,
      from,
    );
    expect(agent.devices.lasers.size).toBe(1);
  });

  it("interlock/reset is refused while the door is still open, and changes nothing", async () => {
    const { sim, sub, root } = await start("safety-door-open");
    await sub.waitFor((m) => m.topic === `${root}/telemetry/laser` && m.payload.state === "ok");
    inject(sim, { fault: "door-open" });
    await sub.waitFor((m) => m.topic === `${root}/alarm/interlock-door` && m.payload.active === true);
    const refused = await sub.request(root, "interlock/reset");
    expect(refused).toMatchObject({ status: "error", error: { code: "interlock" } });
    expect(refused.error?.message).toContain("still tripped");
    expect(sim.bench.laser.permit).toBe(false);
  });

  it("compressor trip: detector bias off and readout disabled when the cryostat-OK relay opens", async () => {
    const { sim, sub, root } = await start("safety-cryo");
    await sub.waitFor((m) => m.topic === `${root}/telemetry/detectorA` && m.payload.state === "ok");
    inject(sim, { fault: "compressor-trip" });
    await msUntil(() => [...sim.bench.detectors.values()].every((d) => d.biasUa === 0 && !d.enabled), 1000);
    const alarm = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-cryostat` && m.payload.active === true,
    );
    expect(alarm.payload.message).toContain("cryostatOk tripped");
    // The relay opens at the trip; the stage reaches the SNSPDs' 3.5 K only ≈ 20 s later
    // (6000 s · ln(292.5/291.5)), so the bias is off long before the wires could go normal.
    expect(sim.bench.cryostat.stageK).toBeLessThan(3.2);
  });

  it("an unplugged controller shows as faulted with DeviceGone while the others keep reporting, then comes back", async () => {
    const { sim, sub, root } = await start("safety-unplug");
    await sub.waitFor((m) => m.topic === `${root}/telemetry/cryostat` && m.payload.state === "ok");
    const from = sub.messages.length;
    inject(sim, { fault: "device-unplugged", device: "cryostat", durationS: 1.5 });
    const faulted = await sub.waitFor(
      (m) => m.topic === `${root}/telemetry/cryostat` && m.payload.state === "faulted",
      5000,
      from,
    );
    expect(faulted.payload.fault).toMatchObject({ error: "DeviceGone", device: "cryostat" });
    expect(faulted.payload).not.toHaveProperty("values");
    const during = sub.messages.length;
    await sub.waitFor((m) => m.topic === `${root}/telemetry/laser` && m.payload.state === "ok", 2000, during);
    const back = await sub.waitFor(
      (m) => m.topic === `${root}/telemetry/cryostat` && m.payload.state === "ok",
      8000,
      during,
    );
    expect((back.payload.values as { detectorStageTempK: number }).detectorStageTempK).toBeCloseTo(2.5, 1);
  });

  it("a garbled reply faults the device with a ProtocolError quoting it; the next read recovers", async () => {
    const { sim, sub, root } = await start("safety-garble");
    await sub.waitFor((m) => m.topic === `${root}/telemetry/compressor` && m.payload.state === "ok");
    const from = sub.messages.length;
    inject(sim, { fault: "garbled-reply", device: "compressor" });
    const faulted = await sub.waitFor(
      (m) => m.topic === `${root}/telemetry/compressor` && m.payload.state === "faulted",
      5000,
      from,
    );
    expect(faulted.payload.fault).toMatchObject({ error: "ProtocolError", device: "compressor" });
    expect((faulted.payload.fault as { reply: string }).reply.length).toBeGreaterThan(0);
    await sub.waitFor(
      (m) => m.topic === `${root}/telemetry/compressor` && m.payload.state === "ok",
      5000,
      from,
    );
  });
});
