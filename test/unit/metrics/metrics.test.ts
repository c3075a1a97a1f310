/**
 * The Prometheus exposition and what the metrics service makes of the bus: the text format as the
 * exposition format specifies it (checked line by line), values as the events carried them, and
 * the health and readiness answers.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../agent/events.js";
import { exposition, snakeName } from "../../../agent/metrics/exposition.js";
import { OperationsService } from "../../../agent/operations/operations-service.js";
import { MetricsService } from "../../../agent/services/metrics.js";
import type { TelemetryValues } from "../../../hal/interfaces.js";
import { simConfig } from "../../helpers/bench-config.js";
import { parseExposition } from "../../helpers/prometheus.js";

describe("Prometheus exposition", () => {
  it("escapes label values and help, spells non-finite numbers, names in snake case", () => {
    const text = exposition([
      {
        name: "x_total",
        help: "a\\b\nc",
        type: "counter",
        samples: [{ labels: { path: 'a"b\\c\nd' }, value: 3 }],
      },
      {
        name: "y",
        help: "y",
        type: "gauge",
        samples: [{ value: Number.NaN }, { labels: { k: "v" }, value: Number.POSITIVE_INFINITY }],
      },
      { name: "empty", help: "no samples: no lines", type: "gauge", samples: [] },
    ]);
    expect(text).toBe(
      '# HELP x_total a\\\\b\\nc\n# TYPE x_total counter\nx_total{path="a\\"b\\\\c\\nd"} 3\n# HELP y y\n# TYPE y gauge\ny NaN\ny{k="v"} +Inf\n',
    );
    expect(parseExposition(text).get('y{k="v"}')).toBe(Number.POSITIVE_INFINITY);
    expect(snakeName("sampleTempK")).toBe("sample_temp_k");
    expect(snakeName("outboxPendingBytes")).toBe("outbox_pending_bytes");
    expect(snakeName("3x")).toBe("_3x");
  });
});

describe("the metrics service", () => {
  function service(connected = true, moreHealth: () => TelemetryValues = () => ({})) {
    const bus = new EventBus(pino({ level: "silent" }));
    const metrics = new MetricsService({
      settings: { enabled: true, host: "127.0.0.1", port: 0 },
      bus,
      agentHealth: () => ({
        uptimeS: 12,
        outboxPendingBytes: 4096,
        mqttConnected: true,
        note: "text is left out",
        ...moreHealth(),
      }),
      brokerConnected: () => connected,
      logger: pino({ level: "silent" }),
    });
    return { bus, metrics };
  }
  const ts = "2026-12-02T08:00:00.000Z";

  it("renders what the events carried: readings, devices up or not, alarms, g2(0), rates, linewidth, SLIs and SLOs", async () => {
    // The operations service's real counters (incidents, pages, runbooks), which the dashboards chart.
    const operations = new OperationsService({
      config: simConfig(),
      current: () => simConfig(),
      bus: new EventBus(pino({ level: "silent" })),
      stateDir: mkdtempSync(join(tmpdir(), "metrics-ops-")),
      request: async () => ({ transaction: null, status: "ok" }),
      runId: () => undefined,
      clearRetained: () => {},
      incidentTopic: (id) => id,
      logger: pino({ level: "silent" }),
    });
    const { bus, metrics } = service(true, () => operations.health());
    await metrics.start();
    try {
      bus.emit("telemetry", {
        ts,
        seq: 1,
        device: "cryostat",
        type: "lakeshore336",
        state: "ok",
        values: { sampleTempK: 4.012, heaterOn: true, model: "336" },
      });
      bus.emit("telemetry", {
        ts,
        seq: 1,
        device: "laser",
        type: "obis-laser",
        state: "ok",
        values: { powerMw: 1.5 },
      });
      bus.emit("telemetry", {
        ts,
        seq: 2,
        device: "laser",
        type: "obis-laser",
        state: "faulted",
        fault: { error: "DeviceGone", message: "unplugged" },
        faultedSince: ts,
        nextRetryInS: 1,
      });
      bus.emit("alarm", {
        ts,
        name: "interlock-door",
        active: true,
        severity: "critical",
        message: "door open",
      });
      bus.emit("alarm", { ts, name: "clock-step", active: true, severity: "warning", message: "step" });
      bus.emit("alarm", { ts, name: "clock-step", active: false, severity: "warning", message: "over" });
      bus.emit("measurement", {
        ts,
        name: "hbt",
        source: "tagger",
        g2: { kind: "pulsed", g2Zero: 0.003951, g2ZeroError: 0.002794 },
      });
      bus.emit("measurement", {
        ts,
        name: "rates",
        source: "tagger",
        detectors: { detectorA: { rateCps: 159302 } },
      });
      bus.emit("measurement", { ts, name: "linewidth", source: "cavity", linewidthMHz: 821.8 });
      bus.emit("sli", {
        ts,
        name: "availability",
        usable: true,
        availability: 0.995,
        slos: { availability: { sli: 0.995, errorBudgetRemaining: 0.5, fastBurn: 0.25, slowBurn: 0.5 } },
      });
      bus.emit("sli", {
        ts,
        name: "quality",
        "hbt.g2Zero": { last: 0.02, runMean: 0.021, runN: 3, mean1h: 0.022 },
      });
      const m = parseExposition(metrics.render());
      expect(m.get('photon_bench_slo{slo="availability",field="errorBudgetRemaining"}')).toBe(0.5);
      expect(m.get('photon_bench_sli{sli="availability",field="usable"}')).toBe(1);
      expect(m.get('photon_bench_sli{sli="quality",field="hbt.g2Zero.runMean"}')).toBe(0.021);
      expect(m.get("photon_bench_agent_incidents_open")).toBe(0);
      expect(m.get("photon_bench_agent_uptime_s")).toBe(12);
      expect(m.get("photon_bench_agent_outbox_pending_bytes")).toBe(4096);
      expect(m.get("photon_bench_agent_mqtt_connected")).toBe(1);
      expect([...m.keys()].some((k) => k.includes("note"))).toBe(false);
      expect(m.get('photon_bench_device_reading{device="cryostat",reading="sampleTempK"}')).toBe(4.012);
      expect(m.get('photon_bench_device_reading{device="cryostat",reading="heaterOn"}')).toBe(1);
      expect(m.get('photon_bench_device_up{device="cryostat",type="lakeshore336"}')).toBe(1);
      expect(m.get('photon_bench_device_up{device="laser",type="obis-laser"}')).toBe(0);
      // A faulted device keeps its last readings (stale, and marked down).
      expect(m.get('photon_bench_device_reading{device="laser",reading="powerMw"}')).toBe(1.5);
      expect(m.get('photon_bench_alarm_active{alarm="interlock-door",severity="critical"}')).toBe(1);
      expect(m.has('photon_bench_alarm_active{alarm="clock-step",severity="warning"}')).toBe(false);
      expect(m.get('photon_bench_g2_zero{histogram="hbt"}')).toBe(0.003951);
      expect(m.get('photon_bench_g2_zero_error{histogram="hbt"}')).toBe(0.002794);
      expect(m.get('photon_bench_detector_rate_cps{detector="detectorA"}')).toBe(159302);
      expect(m.get('photon_bench_linewidth_mhz{source="cavity"}')).toBe(821.8);
      // Every metric the example Grafana dashboard queries is one the agent serves.
      bus.emit("alignment", {
        ts,
        mode: "track",
        positionUm: { x: 50 },
        signalMw: 1,
        fractionOfPeak: 0.97,
        ditherLoss: 0.006,
        modeRadiusUm: 2.5,
        samples: 60,
        clampedMoves: 0,
      });
      bus.emit("telemetry", {
        ts,
        seq: 1,
        device: "interlocks",
        type: "interlocks",
        state: "ok",
        values: { lastTickLagMs: 2 },
      });
      await new Promise((r) => setTimeout(r, 50)); // the event loop's delay is sampled every 10 ms
      const served = new Set(
        [...parseExposition(metrics.render()).keys()].map((k) => k.replace(/\{.*$/, "")),
      );
      served.add("photon_bench_agent_mqtt_dropped"); // from the MQTT service's health, absent in this stub
      for (const board of ["debug", "executive", "on-call"]) {
        const dashboard = readFileSync(`config/monitoring/grafana-${board}.json`, "utf8");
        const queried = new Set(dashboard.match(/photon_bench_[a-z0-9_]+/g));
        expect(queried.size).toBeGreaterThan(3);
        expect([board, ...[...queried].filter((name) => !served.has(name))]).toEqual([board]);
      }
    } finally {
      await metrics.stop();
    }
  });

  it("is unhealthy while the interlock loop ticks late, and not ready while the broker is away", async () => {
    const { bus, metrics } = service(false);
    await metrics.start();
    try {
      const interlocks = (lastTickLagMs: number) =>
        bus.emit("telemetry", {
          ts,
          seq: 1,
          device: "interlocks",
          type: "interlocks",
          state: "ok",
          values: { lastTickLagMs },
        });
      interlocks(3);
      expect(metrics.liveness()).toEqual({ ok: true, why: [] });
      interlocks(1500);
      expect(metrics.liveness()).toEqual({
        ok: false,
        why: ["the interlock loop's last tick came 1500 ms late"],
      });
      expect(metrics.readiness().ok).toBe(false);
      expect(metrics.readiness().why[0]).toContain("broker is not connected");
    } finally {
      await metrics.stop();
    }
  });
});
