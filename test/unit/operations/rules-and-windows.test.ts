/** Alert rules (for-duration, hysteresis, suppression) and warm-up/maintenance windows on a metric view fed by hand. */
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { AlarmPayload } from "../../../agent/events.js";
import { EventBus } from "../../../agent/events.js";
import { AlertRules } from "../../../agent/operations/alert-rules.js";
import { MetricView } from "../../../agent/operations/metric-view.js";
import { BenchWindows } from "../../../agent/operations/windows.js";
import { type OperationsConfig, operationsSchema } from "../../../config/operations.js";

const bus = () => new EventBus(pino({ level: "silent" }));
const telemetry = (b: EventBus, device: string, values: Record<string, number | boolean>) =>
  b.emit("telemetry", { ts: "2026-12-02T10:00:00Z", seq: 1, device, type: "x", state: "ok", values });

describe("alert rules", () => {
  const ops = operationsSchema.parse({
    alerts: [
      {
        name: "warm",
        metric: "telemetry/cryostat/sampleTempK",
        above: 5,
        forS: 10,
        hysteresis: 0.5,
        severity: "page",
      },
    ],
  });

  function setUp() {
    const b = bus();
    const view = new MetricView(b);
    const raised: AlarmPayload[] = [];
    const rules = new AlertRules(
      () => ops.alerts,
      view,
      (a) => raised.push(a),
    );
    return { b, rules, raised };
  }

  it("fires after the threshold held for forS, clears only past the hysteresis", () => {
    const { b, rules, raised } = setUp();
    telemetry(b, "cryostat", { sampleTempK: 5.2 });
    for (let s = 0; s < 10; s++) rules.evaluate(s * 1000, false);
    expect(raised).toEqual([]);
    rules.evaluate(10_000, false);
    expect(raised.map((a) => [a.name, a.active, a.severity])).toEqual([["alert-warm", true, "critical"]]);
    telemetry(b, "cryostat", { sampleTempK: 4.8 }); // below 5 but within the 0.5 K hysteresis
    rules.evaluate(11_000, false);
    expect(raised).toHaveLength(1);
    telemetry(b, "cryostat", { sampleTempK: 4.4 });
    rules.evaluate(12_000, false);
    expect(raised.map((a) => a.active)).toEqual([true, false]);
  });

  it("a breach that dips back restarts the for-duration", () => {
    const { b, rules, raised } = setUp();
    telemetry(b, "cryostat", { sampleTempK: 5.2 });
    for (let s = 0; s < 8; s++) rules.evaluate(s * 1000, false);
    telemetry(b, "cryostat", { sampleTempK: 4.9 });
    rules.evaluate(8000, false);
    telemetry(b, "cryostat", { sampleTempK: 5.2 });
    for (let s = 9; s < 18; s++) rules.evaluate(s * 1000, false);
    expect(raised).toEqual([]);
  });

  it("during warm-up or maintenance it does not fire, and counts what it held back", () => {
    const { b, rules, raised } = setUp();
    telemetry(b, "cryostat", { sampleTempK: 9 });
    for (let s = 0; s < 30; s++) rules.evaluate(s * 1000, true);
    expect(raised).toEqual([]);
    expect(rules.suppressed).toBe(30);
  });
});

describe("warm-up and maintenance", () => {
  const settings: OperationsConfig = operationsSchema.parse({
    warmUp: { minS: 20, stableForS: 10 },
    usable: [{ metric: "telemetry/cryostat/sampleTempK", below: 4.5 }],
  });

  it("warm-up lasts minS and until the stable conditions held stableForS; a laser switched on starts it again", () => {
    const b = bus();
    let now = 0;
    const windows = new BenchWindows(
      () => settings,
      new MetricView(b),
      () => now,
    );
    const lasers = new Map([["laser", true]]);
    telemetry(b, "cryostat", { sampleTempK: 6 });
    for (; now < 30_000; now += 1000) windows.update(lasers);
    expect(windows.quiet()?.kind).toBe("warm-up"); // never stable yet
    telemetry(b, "cryostat", { sampleTempK: 4.0 });
    for (; now < 39_000; now += 1000) windows.update(lasers);
    expect(windows.quiet()?.kind).toBe("warm-up"); // stable for 9 s
    now += 1000;
    windows.update(lasers);
    expect(windows.quiet()).toBeUndefined();
    windows.update(new Map([["laser", false]]));
    windows.update(new Map([["laser", true]]));
    expect(windows.quiet()).toMatchObject({ kind: "warm-up", reason: "laser emission on" });
  });

  it("leaving the stable state is an outage, not a warm-up; cooling down again after a warm spell starts one", () => {
    const b = bus();
    let now = 0;
    const cold = { metric: "telemetry/cryostat/sampleTempK", below: 4.5 };
    const windows = new BenchWindows(
      () => ({ ...settings, warmUp: { minS: 0, stableForS: 5, cold } }),
      new MetricView(b),
      () => now,
    );
    telemetry(b, "cryostat", { sampleTempK: 4.0 });
    for (; now <= 5000; now += 1000) windows.update(new Map());
    expect(windows.quiet()).toBeUndefined();
    telemetry(b, "cryostat", { sampleTempK: 9 }); // a compressor trip: warm
    now += 1000;
    windows.update(new Map());
    expect(windows.quiet()).toBeUndefined();
    telemetry(b, "cryostat", { sampleTempK: 4.2 }); // cold again
    now += 1000;
    windows.update(new Map());
    expect(windows.quiet()).toMatchObject({ kind: "warm-up", reason: "cooled down again" });
  });

  it("a maintenance window opened by command ends when closed or when its time is up", () => {
    const b = bus();
    let now = 0;
    const windows = new BenchWindows(
      () => ({ ...settings, warmUp: { minS: 0, stableForS: 0 } }),
      new MetricView(b),
      () => now,
    );
    telemetry(b, "cryostat", { sampleTempK: 4.0 });
    windows.update(new Map());
    expect(windows.quiet()).toBeUndefined();
    windows.openMaintenance(10, "swap fibre", "mqtt:t1");
    expect(windows.quiet()).toMatchObject({ kind: "maintenance", reason: "swap fibre" });
    now += 10 * 60_000;
    expect(windows.quiet()).toBeUndefined();
    windows.openMaintenance(10, "again", "mqtt:t2");
    expect(windows.closeMaintenance()).toBe(true);
    expect(windows.quiet()).toBeUndefined();
  });
});
