/**
 * The safety layer against a HAL actuator mock (sinon): the sequence of commands it sends keeps
 * every step ≤ maxStepUm, takes at least step/slew per step, stays inside the soft limits, approaches
 * from below, and sends nothing while motion is blocked.
 */
import pino from "pino";
import sinon from "sinon";
import { describe, expect, it } from "vitest";
import { SafeStage } from "../../../agent/alignment/safe-stage.js";
import { MotionBlocked } from "../../../agent/alignment/types.js";
import type { Actuator } from "../../../hal/interfaces.js";

function rig(blocked: () => string | undefined = () => undefined) {
  let now = 0;
  const sleeps: number[] = [];
  const clock = {
    nowS: () => now,
    sleep: async (s: number) => {
      sleeps.push(s);
      now += s;
    },
  };
  const actuator = { moveToUm: sinon.stub().resolves() } as unknown as Actuator & {
    moveToUm: sinon.SinonStub;
  };
  const stage = new SafeStage(
    ["x", "y"],
    { x: 50, y: 50 },
    actuator,
    {
      limitsUm: { x: { minUm: 5, maxUm: 95 } },
      maxStepUm: 5,
      maxSlewUmPerS: 1000,
      settleS: 0.001,
      approachUm: 1,
      approachEveryMove: false,
    },
    clock,
    blocked,
    pino({ level: "silent" }),
  );
  return { stage, actuator, sleeps };
}

describe("SafeStage", () => {
  it("cuts a 12 µm move into steps of at most 5 µm, each taking ≥ step/slew, then settles", async () => {
    const { stage, actuator, sleeps } = rig();
    await stage.moveToUm("x", 62);
    expect(actuator.moveToUm.args).toEqual([
      ["x", 55],
      ["x", 60],
      ["x", 62],
    ]);
    // 5 µm at 1000 µm/s is 5 ms; 2 µm is 2 ms; then the 1 ms settle.
    expect(sleeps.map((s) => Number(s.toFixed(6)))).toEqual([0.005, 0.005, 0.002, 0.001]);
    expect(stage.positionUm("x")).toBe(62);
  });

  it("clamps a target beyond the soft limit to the limit, counts it, and never commands past it", async () => {
    const { stage, actuator } = rig();
    await stage.moveToUm("x", 120);
    const commanded = actuator.moveToUm.args.map((a) => a[1] as number);
    expect(Math.max(...commanded)).toBe(95);
    expect(commanded.every((um, i) => i === 0 || um - commanded[i - 1]! <= 5)).toBe(true);
    expect(stage.clampedMoves).toBe(1);
  });

  it("approaches from below: a lower target is overshot by approachUm and reached going up", async () => {
    const { stage, actuator } = rig();
    await stage.approachUm("y", 48);
    expect(actuator.moveToUm.args).toEqual([
      ["y", 47],
      ["y", 48],
    ]);
    actuator.moveToUm.resetHistory();
    await stage.approachUm("y", 49.5);
    expect(actuator.moveToUm.args).toEqual([["y", 49.5]]);
  });

  it("refuses motion while blocked (an interlock) and sends nothing", async () => {
    let reason: string | undefined = "interlock door tripped";
    const { stage, actuator } = rig(() => reason);
    await expect(stage.moveToUm("x", 51)).rejects.toBeInstanceOf(MotionBlocked);
    expect(actuator.moveToUm.called).toBe(false);
    reason = undefined;
    await stage.moveToUm("x", 51);
    expect(actuator.moveToUm.args).toEqual([["x", 51]]);
  });
});
