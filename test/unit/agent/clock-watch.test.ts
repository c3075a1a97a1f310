import pino from "pino";
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../agent/events.js";
import { ClockWatch } from "../../../agent/services/clock-watch.js";

const logger = pino({ level: "silent" });

describe("ClockWatch", () => {
  it("raises clock-step on a step of the wall clock, not on NTP's slewing, and clears it a minute later", () => {
    let wall = 1_800_000_000_000;
    let mono = 0;
    const bus = new EventBus(logger);
    const alarms: Array<{ name: string; active: boolean; message: string }> = [];
    bus.on("alarm", (a) => alarms.push(a));
    const watch = new ClockWatch({ bus, logger, now: () => wall, monotonicMs: () => mono });
    const second = (wallExtraMs = 0) => {
      mono += 1000;
      wall += 1000 + wallExtraMs;
      watch.check();
    };
    watch.check();
    for (let i = 0; i < 100; i++) second(0.5); // slewing at NTP's fastest: 0.5 ms per second
    expect(alarms).toEqual([]);
    second(-3_600_000); // NTP steps the clock back an hour
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ name: "clock-step", active: true });
    expect(alarms[0]!.message).toBe(
      "wall clock stepped -3600.0 s; timestamps before and after do not compare",
    );
    expect(watch.health()).toEqual({ clockSteps: 1, lastClockStepS: -3600 });
    for (let i = 0; i < 60; i++) second();
    expect(alarms).toHaveLength(1); // 60 s is not yet over a minute
    second();
    expect(alarms.at(-1)).toMatchObject({ name: "clock-step", active: false });
    second(1500); // a forward step of 1.5 s counts too
    expect(alarms.at(-1)).toMatchObject({
      active: true,
      message: expect.stringMatching(/^wall clock stepped \+1\.5 s/),
    });
    expect(watch.health().clockSteps).toBe(2);
  });
});
