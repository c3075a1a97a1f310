/**
 * The aligner in the running agent on the simulated bench (real time, the stage through its I²C
 * DAC twin, the photodiode through the ADC twin): it finds and tracks the peak and publishes its
 * state; a tripped interlock stops every stage move until it clears; a knock is recovered.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { benchPerTest } from "../helpers/agent-bench.js";

describe("alignment in the agent", () => {
  const runBench = benchPerTest();

  it("tracks the peak and publishes its state; holds still while the door interlock is tripped", async () => {
    const running = await runBench("align-agent", { "alignment.publishEveryS": 0.2 });
    const { sim, sub, root } = running;
    const tracking = await sub.waitFor(
      (m) =>
        m.topic === `${root}/alignment` && m.payload.mode === "track" && (m.payload.samples as number) > 50,
      15_000,
    );
    expect(tracking.payload.signalMw).toBeGreaterThan(0);
    expect(tracking.payload.signalUnit).toBeUndefined();
    expect(sim.bench.coupling() / sim.bench.config.sim.optics.peakCoupling).toBeGreaterThan(0.95);
    // Door open: the rule trips; no stage command may follow while it lasts.
    const commanded = () => Object.values(sim.bench.stage).map((axis) => axis.commandedUm);
    sim.bench.inject({ fault: "door-open", durationS: 2 });
    await sub.waitFor((m) => m.topic === `${root}/alignment` && m.payload.mode === "blocked", 3000);
    const held = commanded();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(commanded()).toEqual(held);
    // The door closes; the operator resets the interlock and switches emission back on; the aligner moves again.
    await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-door` && String(m.payload.message).includes("latched"),
      5000,
    );
    expect(await sub.request(root, "interlock/reset")).toMatchObject({ status: "ok" });
    expect(await sub.request(root, "laser/emission", { on: true })).toMatchObject({ status: "ok" });
    const from = sub.messages.length;
    await sub.waitFor((m) => m.topic === `${root}/alignment` && m.payload.mode === "track", 10_000, from);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(commanded()).not.toEqual(held);
  }, 40_000);

  it("a 15 µm knock: coupling is lost, the aligner reacquires and tracks again", async () => {
    const running = await runBench("align-knock", { "alignment.publishEveryS": 0.2 });
    const { sim, sub, root } = running;
    await sub.waitFor((m) => m.topic === `${root}/alignment` && m.payload.mode === "track", 15_000);
    const peak = sim.bench.config.sim.optics.peakCoupling;
    sim.bench.inject({ fault: "fibre-knock", knockUm: 15 });
    expect(sim.bench.coupling() / peak).toBeLessThan(0.01);
    const from = sub.messages.length;
    const lost = await sub.waitFor(
      (m) => m.topic === `${root}/alignment` && m.payload.mode === "reacquire",
      5000,
      from,
    );
    const after = sub.messages.indexOf(lost);
    await sub.waitFor((m) => m.topic === `${root}/alignment` && m.payload.mode === "track", 20_000, after);
    expect(sim.bench.coupling() / peak).toBeGreaterThan(0.9);
  }, 40_000);

  it("after a restart it goes back to the last good position and fits the peak there, without a search", async () => {
    // The stage starts 11 µm off the peak (dark at a 2.5 µm mode radius): the first agent must search.
    const far = {
      "alignment.publishEveryS": 0.2,
      "sim.initial": { stagePositionUm: { x: 42, y: 57, z: 50 } },
    };
    const modes = (r: Awaited<ReturnType<typeof runBench>>) =>
      r.sub.messages.filter((m) => m.topic === `${r.root}/alignment`).map((m) => m.payload.mode);
    const tracking = (m: { topic: string; payload: Record<string, unknown> }) =>
      m.topic.endsWith("/alignment") && m.payload.mode === "track" && Number(m.payload.fractionOfPeak) > 0.9;
    const first = await runBench("align-restart", far);
    await first.sub.waitFor(tracking, 30_000);
    expect(modes(first)).toContain("search");
    const { stateDir } = first;
    await first.sub.close();
    await first.agent.stop("restart");
    const saved = JSON.parse(await readFile(join(stateDir, "alignment.json"), "utf8")) as {
      positionUm: { x: number; y: number };
    };
    // The sim's peak is at (50, 50) µm.
    expect(Math.hypot(saved.positionUm.x - 50, saved.positionUm.y - 50)).toBeLessThan(1);

    const second = await runBench("align-restart", far, { stateDir });
    await second.sub.waitFor(tracking, 20_000);
    expect(modes(second)).not.toContain("search");
    expect(second.sim.bench.coupling() / second.sim.bench.config.sim.optics.peakCoupling).toBeGreaterThan(
      0.9,
    );
  }, 60_000);
});
