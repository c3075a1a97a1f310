import pino from "pino";
import sinon from "sinon";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Backoff } from "../../../agent/backoff.js";
import type { TelemetryPayload } from "../../../agent/events.js";
import { EventBus } from "../../../agent/events.js";
import { InterlockService } from "../../../agent/services/interlocks.js";
import { LatestReadings } from "../../../agent/services/latest-readings.js";
import { lasersToHold } from "../../../agent/services/permit-lines.js";
import { TelemetrySampler } from "../../../agent/services/telemetry.js";
import { DeviceTimeout } from "../../../hal/errors.js";
import type { Detector, InterlockInput, Laser } from "../../../hal/interfaces.js";

const logger = pino({ level: "silent" });
/** Only the timer functions these services use: leaves promises and node:timers/promises alone. */
const fakeTimers = () =>
  sinon.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"],
  });

describe("Backoff", () => {
  it("doubles from the initial delay up to the cap, each delay jittered into [½, 1] of its ceiling", () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([1, 2, 3, 4, 5].map(() => low.next())).toEqual([50, 100, 200, 400, 500]);
    const high = new Backoff(100, 1000, () => 1);
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([100, 200, 400, 800, 1000]);
    high.reset();
    expect(high.next()).toBe(100);
  });
});

describe("TelemetrySampler", () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeTimers();
  });
  afterEach(() => clock.restore());

  it("publishes a faulted device's error, never its last value, retries it with backoff, and serves the others", async () => {
    const published: TelemetryPayload[] = [];
    const flaky = sinon.stub();
    flaky.onCall(0).resolves({ tempK: 4.01 });
    flaky.rejects(new DeviceTimeout("no reply within 500 ms", { device: "cryostat", command: "KRDG? A" }));
    const steady = sinon.stub().resolves({ powerMw: 1 });
    const latest = new LatestReadings();
    const bus = new EventBus(logger);
    bus.on("telemetry", (p) => published.push(p));
    const sampler = new TelemetrySampler({
      sources: () => [
        { name: "cryostat", type: "lakeshore336", source: { name: "cryostat", readTelemetry: flaky } },
        { name: "laser", type: "obis-laser", source: { name: "laser", readTelemetry: steady } },
      ],
      settings: { periodMs: 1000, retryInitialMs: 2000, retryMaxMs: 8000 },
      latest,
      bus,
      logger,
      now: () => Date.now(),
    });
    await sampler.start();
    await clock.tickAsync(10_500);
    await sampler.stop();
    const cryostat = published.filter((p) => p.device === "cryostat");
    expect(cryostat[0]).toMatchObject({ state: "ok", seq: 1, values: { tempK: 4.01 } });
    expect(cryostat.slice(1).every((p) => p.state === "faulted" && !("values" in p))).toBe(true);
    expect(cryostat[1]).toMatchObject({
      state: "faulted",
      fault: { error: "DeviceTimeout", command: "KRDG? A" },
    });
    // 11 rounds; reads at t=0 (ok), 1 s (fails, retry ≥ 1 s later), then backoff doubling: far fewer than 11 tries.
    expect(flaky.callCount).toBeGreaterThanOrEqual(3);
    expect(flaky.callCount).toBeLessThanOrEqual(5);
    expect(cryostat).toHaveLength(11);
    expect(steady.callCount).toBe(11);
    expect(published.filter((p) => p.device === "laser").map((p) => p.seq)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    expect(sampler.faultedDevices()).toEqual(["cryostat"]);
    // The interlocks see the last good reading growing old, not a fresh one.
    expect(latest.number("cryostat", "tempK")?.ageS).toBeCloseTo(10.5, 1);
  });
});

describe("InterlockService", () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeTimers();
  });
  afterEach(() => clock.restore());

  const rig = () => {
    let doorOpen = false;
    const door: InterlockInput = {
      name: "door",
      readTripped: async () => doorOpen,
      watch: () => () => {}, // no edges: only the tick can see the door
      readTelemetry: async () => ({}),
    };
    const laser = {
      setInterlockPermit: sinon.stub().resolves(),
      setEmission: sinon.stub().resolves(),
    } as unknown as Laser & { setInterlockPermit: sinon.SinonStub; setEmission: sinon.SinonStub };
    const detector = { makeSafe: sinon.stub().resolves() } as unknown as Detector & {
      makeSafe: sinon.SinonStub;
    };
    const latest = new LatestReadings();
    const alarms: Array<{ name: string; active: boolean; message: string }> = [];
    const bus = new EventBus(logger);
    bus.on("alarm", (a) => alarms.push(a));
    const service = new InterlockService({
      rules: [
        { name: "door", inputs: ["door"], temperatures: [], safe: { lasers: ["laser"], detectors: [] } },
        {
          name: "cryostat",
          inputs: [],
          temperatures: [{ device: "cryostat", input: "detectorStage", maxK: 3.2, staleAfterS: 10 }],
          safe: { lasers: [], detectors: ["detectorA"] },
        },
      ],
      devices: {
        inputs: new Map([["door", door]]),
        lasers: new Map([["laser", laser]]),
        detectors: new Map([["detectorA", detector]]),
      },
      latest,
      bus,
      periodMs: 50,
      logger,
      now: () => Date.now(),
    });
    return { service, laser, detector, latest, alarms, openDoor: () => (doorOpen = true) };
  };

  it("drops the laser permit at the next 50 ms tick after the door opens, and switches emission off (urgent)", async () => {
    const { service, laser, latest, openDoor, alarms } = rig();
    latest.set("cryostat", { detectorStageTempK: 2.5 }, Date.now());
    await service.start();
    expect(laser.setInterlockPermit.lastCall.args).toEqual([true]);
    await clock.tickAsync(20);
    openDoor();
    await clock.tickAsync(30); // the tick at t = 50 ms
    expect(laser.setInterlockPermit.lastCall.args).toEqual([false]);
    expect(laser.setEmission.firstCall.args).toEqual([false, { priority: "urgent" }]);
    expect(alarms.at(-1)).toMatchObject({ name: "interlock-door", active: true, message: "door tripped" });
    await service.stop();
  });

  it("makes the detectors safe when the stage is above its limit, or when its temperature is unknown too long", async () => {
    const hot = rig();
    hot.latest.set("cryostat", { detectorStageTempK: 3.4 }, Date.now());
    await hot.service.start();
    expect(hot.detector.makeSafe.callCount).toBe(1);
    expect(hot.alarms.at(-1)?.message).toBe("cryostat.detectorStage at 3.400 K > 3.2 K");
    await hot.service.stop();

    const silent = rig();
    await silent.service.start(); // no reading yet: within the 10 s grace
    expect(silent.detector.makeSafe.callCount).toBe(0);
    await clock.tickAsync(10_100);
    expect(silent.detector.makeSafe.callCount).toBe(1);
    expect(silent.alarms.at(-1)?.message).toMatch(/^cryostat\.detectorStage unknown for 10\.\d s$/);
    await silent.service.stop();
  });

  it("a wall-clock step back by an hour does not make a silent cryostat's last reading look fresh", async () => {
    const { service, detector, latest, alarms } = rig();
    latest.set("cryostat", { detectorStageTempK: 2.5 }, Date.now());
    await service.start();
    // The cryostat falls silent and NTP steps the wall clock back an hour: the reading still ages.
    clock.setSystemTime(Date.now() - 3_600_000);
    await clock.tickAsync(10_100);
    expect(detector.makeSafe.callCount).toBe(1);
    expect(alarms.at(-1)?.message).toMatch(/^cryostat\.detectorStage unknown for 10\.\d s$/);
    // And a step forward does not age a fresh one: no trip on a reading 1 s old.
    const again = rig();
    again.latest.set("cryostat", { detectorStageTempK: 2.5 }, Date.now());
    await again.service.start();
    clock.setSystemTime(Date.now() + 3_600_000);
    await clock.tickAsync(1000);
    expect(again.detector.makeSafe.callCount).toBe(0);
    await service.stop();
    await again.service.stop();
  });

  it("logs a wedged permit line once, not on every tick, and re-asserts a held line every tick", async () => {
    const error = sinon.spy();
    const laser = {
      setInterlockPermit: sinon.stub().rejects(new Error("EIO")),
      setEmission: sinon.stub().resolves(),
    } as unknown as Laser & { setInterlockPermit: sinon.SinonStub };
    const door: InterlockInput = {
      name: "door",
      readTripped: async () => true,
      watch: () => () => {},
      readTelemetry: async () => ({}),
    };
    const quietLogger = {
      ...logger,
      error,
      info: sinon.spy(),
      warn: sinon.spy(),
      debug: sinon.spy(),
    } as unknown as typeof logger;
    const service = new InterlockService({
      rules: [
        { name: "door", inputs: ["door"], temperatures: [], safe: { lasers: ["laser"], detectors: [] } },
      ],
      devices: {
        inputs: new Map([["door", door]]),
        lasers: new Map([["laser", laser]]),
        detectors: new Map(),
      },
      latest: new LatestReadings(),
      bus: new EventBus(quietLogger),
      periodMs: 50,
      logger: quietLogger,
      now: () => Date.now(),
    });
    await service.start();
    await clock.tickAsync(1000);
    await service.stop();
    expect(laser.setInterlockPermit.callCount).toBe(21); // start + 20 ticks, every one trying to hold it low
    const lineErrors = error.getCalls().filter((c) => String(c.args[1]).includes("interlock line"));
    expect(lineErrors).toHaveLength(1);
  });

  it("feeds the watchdog after each completed tick, and not while a tick is stalled", async () => {
    let stalled = false;
    const door: InterlockInput = {
      name: "door",
      readTripped: () => (stalled ? new Promise<boolean>(() => {}) : Promise.resolve(false)),
      watch: () => () => {},
      readTelemetry: async () => ({}),
    };
    let fed = 0;
    const service = new InterlockService({
      rules: [{ name: "door", inputs: ["door"], temperatures: [], safe: { lasers: [], detectors: [] } }],
      devices: { inputs: new Map([["door", door]]), lasers: new Map(), detectors: new Map() },
      latest: new LatestReadings(),
      bus: new EventBus(logger),
      periodMs: 50,
      logger,
      onTick: () => fed++,
    });
    await service.start();
    await clock.tickAsync(500);
    expect(fed).toBe(11); // start + 10 ticks
    stalled = true;
    await clock.tickAsync(1000);
    expect(fed).toBe(11); // the input read hangs: no tick completes, no ping, systemd restarts the agent
    await service.stop();
  });

  it("holds a laser whose interlock is tripped at start-up, or was latched before the restart", () => {
    const rules = [
      { name: "door", inputs: ["door"], temperatures: [], safe: { lasers: ["laser"], detectors: [] } },
    ];
    expect([...lasersToHold(rules, new Set(["door"]))]).toEqual(["laser"]);
    expect([...lasersToHold(rules, new Set())]).toEqual([]);
    expect([...lasersToHold(rules, new Set(), new Set(["door"]))]).toEqual(["laser"]);
  });
});
