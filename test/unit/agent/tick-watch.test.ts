import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { type AlarmPayload, EventBus } from "../../../agent/events.js";
import { reportedFault } from "../../../agent/services/telemetry.js";
import { LateTicks } from "../../../agent/services/tick-watch.js";

const logger = pino({ level: "silent" });

describe("late interlock ticks", () => {
  it("a tick more than ten periods late raises interlock-tick once; twenty on time clear it", () => {
    const bus = new EventBus(logger);
    const alarms: AlarmPayload[] = [];
    bus.on("alarm", (a) => alarms.push(a));
    const late = new LateTicks(bus, logger, () => Date.UTC(2026, 11, 2));
    late.check(499, 50); // 9.98 periods: not late enough
    expect(alarms).toEqual([]);
    late.check(3200, 50);
    late.check(700, 50); // still late: no second alarm
    expect(alarms.map((a) => [a.name, a.active])).toEqual([["interlock-tick", true]]);
    expect(alarms[0]!.message).toContain("3200 ms late");
    for (let i = 0; i < 19; i++) late.check(3, 50);
    expect(alarms).toHaveLength(1);
    late.check(3, 50);
    expect(alarms.map((a) => [a.name, a.active])).toEqual([
      ["interlock-tick", true],
      ["interlock-tick", false],
    ]);
  });
});

describe("faults an instrument reports itself", () => {
  it("a laser's faults, a compressor's alarms, a latched detector; nothing when all is well", () => {
    expect(reportedFault({ emission: true, faults: [] })).toBeUndefined();
    expect(reportedFault({ faults: ["laser ready (not locked)"] })).toBe("laser ready (not locked)");
    expect(reportedFault({ running: false, alarms: ["water temperature", "oil"] })).toBe(
      "water temperature, oil",
    );
    expect(reportedFault({ latched: true, biasUa: 9 })).toBe("latched");
    expect(reportedFault({ latched: false })).toBeUndefined();
  });
});
