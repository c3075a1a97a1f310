import pino from "pino";
import { describe, expect, it } from "vitest";
import { EventBus, type TelemetryPayload } from "../../../agent/events.js";
import { HISTORY_POINTS, LiveFeed } from "../../../agent/web/live-feed.js";
import { SCAN_POINTS } from "../../../agent/web/scan.js";
import { webSchema } from "../../../config/web.js";
import { simConfig } from "../../helpers/bench-config.js";

const T0 = Date.parse("2026-12-02T10:00:00Z");

function feed(historyS = 1800) {
  const bus = new EventBus(pino({ level: "silent" }));
  const config = simConfig();
  const live = new LiveFeed({
    bus,
    settings: webSchema.parse({ historyS }),
    current: () => config,
    backend: () => "sim",
    logger: pino({ level: "silent" }),
  });
  return { bus, live };
}

const cryostat = (seq: number, tS: number, sampleTempK: number): TelemetryPayload => ({
  ts: new Date(T0 + tS * 1000).toISOString(),
  seq,
  device: "cryostat",
  type: "lakeshore336",
  state: "ok",
  values: { sampleTempK, heaterRange: "medium" },
});

describe("the web view's live feed", () => {
  it("sends the latest of each value once per frame, however often it changed", () => {
    const { bus, live } = feed();
    for (let k = 1; k <= 100; k++) bus.emit("telemetry", cryostat(k, k * 0.01, 4 + k / 1000));
    const frame = live.takeFrame()!;
    expect((frame.latest["telemetry/cryostat"] as TelemetryPayload).seq).toBe(100);
    expect(Object.keys(frame.latest)).toEqual(["telemetry/cryostat"]);
    // Time series every historyS / HISTORY_POINTS = 2 s: of 100 readings over 1 s, the first only.
    expect(frame.history["telemetry/cryostat"]).toEqual([[T0 / 1000 + 0.01, { sampleTempK: 4.001 }]]);
    expect(live.takeFrame()).toBeUndefined();
  });

  it("keeps the time series to HISTORY_POINTS, the newest last", () => {
    const { bus, live } = feed();
    const readings = 3 * HISTORY_POINTS;
    for (let k = 0; k < readings; k++) bus.emit("telemetry", cryostat(k, 2 * k, 4 + k * 1e-4));
    const history = live.snapshot().history["telemetry/cryostat"] as {
      t: number[];
      fields: Record<string, number[]>;
    };
    expect(history.t).toHaveLength(HISTORY_POINTS);
    expect(history.t.at(-1)).toBe(T0 / 1000 + 2 * (readings - 1));
    expect(history.t[0]).toBe(T0 / 1000 + 2 * (readings - HISTORY_POINTS));
    expect(history.fields.sampleTempK!.at(-1)).toBeCloseTo(4 + (readings - 1) * 1e-4, 12);
    // A frame holds no more than a page keeps either.
    expect(live.takeFrame()!.history["telemetry/cryostat"]).toHaveLength(HISTORY_POINTS);
  });

  it("forgets a cleared alarm and a resolved incident, telling the pages so", () => {
    const { bus, live } = feed();
    const alarm = {
      ts: new Date(T0).toISOString(),
      name: "interlock-door",
      severity: "critical" as const,
      message: "door open",
    };
    bus.emit("alarm", { ...alarm, active: true });
    expect(live.snapshot().latest["alarm/interlock-door"]).toMatchObject({ active: true });
    live.takeFrame();
    bus.emit("alarm", { ...alarm, active: false });
    expect(live.takeFrame()!.latest).toEqual({ "alarm/interlock-door": null });
    expect(live.snapshot().latest).not.toHaveProperty("alarm/interlock-door");
  });

  it("records g2(0) and its error per period as the run's trend", () => {
    const { bus, live } = feed();
    for (let k = 0; k < 3; k++)
      bus.emit("measurement", {
        ts: new Date(T0 + k * 10_000).toISOString(),
        name: "hbt",
        source: "tagger",
        g2: { kind: "pulsed", g2Zero: 0.02 + k * 0.01, g2ZeroError: 0.005 },
      });
    const trend = live.snapshot().history["measurement/hbt"] as {
      t: number[];
      fields: Record<string, number[]>;
    };
    expect(trend.t).toEqual([T0 / 1000, T0 / 1000 + 10, T0 / 1000 + 20]);
    expect(trend.fields.g2Zero).toEqual([0.02, 0.03, 0.04]);
    expect(trend.fields.g2ZeroError).toEqual([0.005, 0.005, 0.005]);
  });

  it("maps the aligner's scan, starts a new map with a new search, and keeps a trail while tracking", () => {
    const { bus, live } = feed();
    const sample = (mode: "search" | "peak" | "track", x: number, y: number, signal: number) =>
      bus.emit("alignmentSample", { mode, positionUm: { x, y, z: 50 }, signal, signalUnit: "mW" });
    for (let k = 0; k < 10; k++) sample("search", k, 0, k / 100);
    sample("peak", 9, 1, 0.1);
    expect(live.snapshot().scan.points).toHaveLength(11);
    sample("track", 9, 1, 0.1);
    sample("track", 9.1, 1, 0.1); // within TRAIL_EVERY_S of the last: not in the trail
    expect(live.snapshot().scan.trail).toEqual([[9, 1]]);
    expect(live.takeFrame()!.scan).toMatchObject({ reset: true, unit: "mW", trail: [[9, 1]] });
    sample("search", 50, 50, 0.001);
    const delta = live.takeFrame()!.scan!;
    expect(delta).toEqual({ reset: true, unit: "mW", points: [[50, 50, 0.001]], trail: [] });
    expect(live.snapshot().scan.points).toEqual([[50, 50, 0.001]]);
    for (let k = 0; k < SCAN_POINTS + 10; k++) sample("search", k % 90, 0, 0.001);
    expect(live.snapshot().scan.points).toHaveLength(SCAN_POINTS);
  });

  it("tells the page the stage's soft limits and the detectors' saturation from the bench file", () => {
    const { live } = feed();
    const { setup } = live.snapshot();
    expect(setup.stage).toEqual({
      name: "stage",
      limitsUm: { x: { minUm: 5, maxUm: 95 }, y: { minUm: 5, maxUm: 95 }, z: { minUm: 5, maxUm: 95 } },
    });
    expect(setup.detectors).toEqual(["detectorA", "detectorB"]);
    expect(setup.detectorMaxCps).toBe(10_000_000);
    expect(setup.interlocks).toEqual(["door", "cryostat"]);
  });
});
