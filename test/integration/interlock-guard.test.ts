/**
 * The interlock guard's thread: it drops a laser's permit on a trip while the main thread is
 * blocked (so nothing there can delay it), keeps it low after a door opened and shut meanwhile
 * until the interlock service has latched the rule, drives the kernel's sysfs value files (real
 * files here), and is restarted, with an alarm, when its thread dies.
 */

import { readFileSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { EventBus } from "../../agent/events.js";
import { InterlockGuard } from "../../agent/services/interlock-guard.js";
import type { InterlockInput, Laser, LineShare } from "../../hal/interfaces.js";
import { benchPerTest } from "../helpers/agent-bench.js";

const logger = pino({ level: "silent" });

/** Blocks this thread (no event-loop turn) until `condition` holds; false if it did not within `capMs`. */
function blockUntil(condition: () => boolean, capMs = 5000): boolean {
  const started = performance.now();
  while (!condition()) if (performance.now() - started > capMs) return false;
  return true;
}

describe("the interlock guard on the simulated bench", () => {
  const runBench = benchPerTest();

  it("drops the permit while the main thread is blocked, and holds it after the door shut until the rule is latched", async () => {
    const running = await runBench("guard-blocked");
    const { sim, sub, root, agent } = running;
    await sub.waitFor(
      (m) =>
        m.topic === `${root}/telemetry/interlocks` &&
        (m.payload.values as { guardRunning?: boolean } | undefined)?.guardRunning === true,
    );
    const permit = agent.devices.lasers.get("laser")!.permitLine!()!.spec as LineShare & { kind: "memory" };
    const door = agent.devices.interlockInputs.get("door")!.sharedLine!()!;
    const doorSlot = (door.line.spec as LineShare & { kind: "memory" }).index;
    expect(sim.lines.read(permit.index)).toBe(1);

    // The door's line goes to its tripped level; this thread does not yield until the permit is low.
    sim.lines.write(doorSlot, door.trippedLevel);
    expect(blockUntil(() => sim.lines.read(permit.index) === 0)).toBe(true);
    // The door shuts again before the main thread has seen anything: the permit stays low.
    sim.lines.write(doorSlot, door.trippedLevel === 1 ? 0 : 1);
    blockUntil(() => false, 100); // twenty of the guard's passes
    expect(sim.lines.read(permit.index)).toBe(0);

    // The main thread runs again: the rule latches on the trip only the guard saw.
    const alarm = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-door` && m.payload.active === true,
    );
    expect(alarm.payload.message).toBe("door tripped (seen by the interlock guard)");
    expect(sim.lines.read(permit.index)).toBe(0);
    expect(sim.bench.laser.permit).toBe(false); // the bench was told of the guard's write
    const reset = await sub.request(root, "interlock/reset", {});
    expect(reset.status).toBe("ok");
    expect(sim.lines.read(permit.index)).toBe(1); // written when the reset answers
  });
});

describe("the interlock guard on sysfs value files", () => {
  /** A door input (tripped when high) and a laser's permit line, as the kernel's value files. */
  async function rig() {
    const dir = await mkdtemp(join(tmpdir(), "pb-guard-"));
    const doorPath = join(dir, "gpio22-value");
    const permitPath = join(dir, "gpio17-value");
    await writeFile(doorPath, "0\n");
    await writeFile(permitPath, "0\n");
    const sysfs = (valuePath: string): LineShare => ({ kind: "sysfs", valuePath });
    const door = {
      sharedLine: () => ({ line: { spec: sysfs(doorPath) }, trippedLevel: 1 as const }),
    } as unknown as InterlockInput;
    const laser = { permitLine: () => ({ spec: sysfs(permitPath) }) } as unknown as Laser;
    const alarms: Array<{ name: string; active: boolean; message: string }> = [];
    const bus = new EventBus(logger);
    bus.on("alarm", (a) => alarms.push(a));
    const guard = InterlockGuard.over({
      rules: [
        { name: "door", inputs: ["door"], temperatures: [], safe: { lasers: ["laser"], detectors: [] } },
      ],
      devices: {
        inputs: new Map([["door", door]]),
        lasers: new Map([["laser", laser]]),
        detectors: new Map(),
      },
      reassertMs: 50,
      bus,
      logger,
      now: Date.now,
    })!;
    const level = (path: string) => readFileSync(path, "latin1")[0];
    return { guard, doorPath, permitPath, alarms, permit: () => level(permitPath) };
  }
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("writes the permit file low on a trip while the main thread is blocked, and high only once acknowledged", async () => {
    const { guard, doorPath, permit } = await rig();
    stop = () => guard.stop();
    await guard.start(new Set());
    expect(permit()).toBe("1");
    await writeFile(doorPath, "1\n");
    expect(blockUntil(() => permit() === "0")).toBe(true);
    await writeFile(doorPath, "0\n");
    await guard.settled();
    expect(permit()).toBe("0"); // the trip is not acknowledged yet
    const pending = guard.pendingTrips();
    expect([...pending]).toEqual([["door", { trips: 1, unreadable: false }]]);
    guard.acknowledge(pending); // without holding the laser: the rule was reset meanwhile
    await guard.settled();
    expect(permit()).toBe("1");
    guard.hold(new Set(["laser"]));
    await guard.settled();
    expect(permit()).toBe("0");
  });

  it("treats a value file it cannot read as tripped", async () => {
    const { guard, doorPath, permit } = await rig();
    stop = () => guard.stop();
    await guard.start(new Set());
    await writeFile(doorPath, "x\n");
    await guard.settled();
    expect(permit()).toBe("0");
    expect(guard.pendingTrips().get("door")).toEqual({ trips: 1, unreadable: true });
    expect(await readFile(doorPath, "latin1")).toBe("x\n"); // an input is only read
  });

  it("a dead guard thread raises interlock-guard, gives the lines back meanwhile, and is restarted", async () => {
    const { guard, alarms, permit } = await rig();
    stop = () => guard.stop();
    await guard.start(new Set(["laser"]));
    expect(permit()).toBe("0");
    expect(guard.owns("laser")).toBe(true);
    await (guard as unknown as { worker: Worker }).worker.terminate();
    expect(guard.owns("laser")).toBe(false); // the interlock service drives the line itself now
    expect(alarms.at(-1)).toMatchObject({ name: "interlock-guard", active: true });
    while (!guard.owns("laser")) await new Promise((r) => setTimeout(r, 20));
    await guard.settled();
    await new Promise((r) => setImmediate(r));
    expect(alarms.at(-1)).toMatchObject({ name: "interlock-guard", active: false });
    expect(guard.values()).toMatchObject({ guardRunning: true, guardRestarts: 1 });
    expect(permit()).toBe("0"); // still held after the restart
  });
});
