import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import sinon from "sinon";
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../agent/events.js";
import { InterlockService } from "../../../agent/services/interlocks.js";
import { LatchStore } from "../../../agent/services/latch-store.js";
import { LatestReadings } from "../../../agent/services/latest-readings.js";
import type { InterlockInput, Laser } from "../../../hal/interfaces.js";

const logger = pino({ level: "silent" });

/** An interlock service on one door rule and one laser, keeping its latches in `file`. */
function bench(file: string, doorOpen: { value: boolean }) {
  const door: InterlockInput = {
    name: "door",
    readTripped: async () => doorOpen.value,
    watch: () => () => {},
    readTelemetry: async () => ({}),
  };
  const laser = {
    setInterlockPermit: sinon.stub().resolves(),
    setEmission: sinon.stub().resolves(),
  } as unknown as Laser & { setInterlockPermit: sinon.SinonStub };
  const alarms: Array<{ name: string; active: boolean; since?: string }> = [];
  const bus = new EventBus(logger);
  bus.on("alarm", (a) => alarms.push(a));
  const service = new InterlockService({
    rules: [
      { name: "door", inputs: ["door"], temperatures: [], safe: { lasers: ["laser"], detectors: [] } },
      { name: "spare", inputs: [], temperatures: [], safe: { lasers: ["laser"], detectors: [] } },
    ],
    devices: { inputs: new Map([["door", door]]), lasers: new Map([["laser", laser]]), detectors: new Map() },
    latest: new LatestReadings(),
    bus,
    periodMs: 50,
    logger,
    latches: new LatchStore(file, logger),
  });
  return { service, laser, alarms };
}

describe("latched interlocks across a restart", () => {
  it("a latch survives the restart: the permit stays low until reset, and the reset is remembered too", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "pb-latch-")), "interlocks.json");
    const door = { value: false };
    const first = bench(file, door);
    await first.service.start();
    door.value = true;
    await first.service.tick();
    door.value = false; // the door shut again before the restart
    await first.service.tick();
    const since = first.alarms.find((a) => a.active)!.since;
    await first.service.stop();
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ latched: { door: since } });

    const second = bench(file, door);
    await second.service.start();
    expect(second.service.blockingRules("laser")).toEqual(["door"]);
    expect(second.laser.setInterlockPermit.lastCall.args).toEqual([false]);
    expect(second.alarms[0]).toMatchObject({ name: "interlock-door", active: true, since });
    expect(await second.service.reset()).toMatchObject({ reset: ["door"], stillTripped: [] });
    expect(second.laser.setInterlockPermit.lastCall.args).toEqual([true]);
    await second.service.stop();

    const third = bench(file, door);
    await third.service.start();
    expect(third.service.blockingRules("laser")).toEqual([]);
    await third.service.stop();
  });

  it("a latch file that does not read back latches every rule (fail safe)", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "pb-latch-")), "interlocks.json");
    await writeFile(file, '{"latched": {"door": "2026-12');
    const { service, laser } = bench(file, { value: false });
    await service.start();
    expect(service.blockingRules("laser")).toEqual(["door", "spare"]);
    expect(laser.setInterlockPermit.lastCall.args).toEqual([false]);
    await service.stop();
  });
});
