/**
 * The agent for operations teams, over HTTP on 127.0.0.1 by default (`metrics:` in the bench file):
 *  - `GET /metrics`: Prometheus text. The agent's own counters (`photon_bench_agent_*`: queues,
 *    outbox bytes, drops, reconnects, …), the event loop's delay, every device's numeric readings
 *    and whether it answers, the interlock loop's tick lag, active alarms, and the latest
 *    measurements (g2(0) with its error, detector rates, linewidth) and alignment state;
 *  - `GET /healthz`: 200 while the interlock loop ticks on time (its last tick less than a second
 *    late), else 503 with why — for a supervisor that restarts what is stuck;
 *  - `GET /readyz`: 200 with the broker connected, else 503 with why. It is started after every
 *    other service, so nothing answers before the agent is up.
 * It only reads what the services already publish on the bus; it commands nothing.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import type { MetricsConfig } from "../../config/metrics.js";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { AlignmentEvent, EventBus, MeasurementEvent } from "../events.js";
import { exposition, type MetricFamily, numericLeaves, snakeName } from "../metrics/exposition.js";
import type { SliPayload } from "../operations/types.js";
import type { Service } from "../service.js";

export interface MetricsDeps {
  settings: MetricsConfig;
  bus: EventBus;
  /** The agent's own counters (what `telemetry/agent` publishes). */
  agentHealth: () => TelemetryValues;
  /** Ready: the broker connected (started last, this serves only once every other service runs). */
  brokerConnected: () => boolean;
  logger: Logger;
}

/** An interlock tick later than this makes the agent unhealthy, ms. */
const UNHEALTHY_TICK_LAG_MS = 1000;

export class MetricsService implements Service {
  readonly name = "metrics";
  private server: Server | undefined;
  private delay: IntervalHistogram | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly devices = new Map<string, { type: string; up: boolean; values: TelemetryValues }>();
  private readonly alarms = new Map<string, string>();
  private readonly measurements = new Map<string, MeasurementEvent>();
  private readonly slis = new Map<string, SliPayload>();
  private alignment: AlignmentEvent | undefined;
  private scrapes = 0;
  private delaySeconds: number[] | undefined;

  constructor(private readonly deps: MetricsDeps) {}

  /** The port it listens on (the configured one, or the one chosen for port 0). */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async start(): Promise<void> {
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.on("telemetry", (t) => {
        const previous = this.devices.get(t.device)?.values ?? {};
        this.devices.set(
          t.device,
          t.state === "ok"
            ? { type: t.type, up: true, values: t.values }
            : { type: t.type, up: false, values: previous },
        );
      }),
      bus.on("alarm", (a) => {
        if (a.active) this.alarms.set(a.name, a.severity);
        else this.alarms.delete(a.name);
      }),
      bus.on("measurement", (m) => this.measurements.set(m.name, m)),
      bus.on("sli", (v) => this.slis.set(v.name, v)),
      bus.on("alignment", (a) => {
        this.alignment = a;
      }),
    );
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
    const { host, port } = this.deps.settings;
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      if (path === "/metrics") {
        this.scrapes++;
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(this.render());
      } else if (path === "/healthz" || path === "/readyz") {
        const { ok, why } = path === "/healthz" ? this.liveness() : this.readiness();
        res
          .writeHead(ok ? 200 : 503, { "content-type": "application/json" })
          .end(JSON.stringify({ status: ok ? "ok" : "unavailable", why }));
      } else res.writeHead(404, { "content-type": "text/plain" }).end("/metrics, /healthz, /readyz\n");
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) =>
        reject(new Error(`metrics: cannot listen on ${host}:${port}: ${err.message}`)),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.deps.logger.info({ host, port: this.port }, "metrics, healthz and readyz served");
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.delay?.disable();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
  }

  readiness(): { ok: boolean; why: string[] } {
    const why = this.deps.brokerConnected()
      ? []
      : ["the MQTT broker is not connected (messages wait in the outbox)"];
    return { ok: why.length === 0, why };
  }

  liveness(): { ok: boolean; why: string[] } {
    const lag = this.devices.get("interlocks")?.values.lastTickLagMs;
    const why =
      typeof lag === "number" && lag > UNHEALTHY_TICK_LAG_MS
        ? [`the interlock loop's last tick came ${lag.toFixed(0)} ms late`]
        : [];
    return { ok: why.length === 0, why };
  }

  render(): string {
    const families: MetricFamily[] = [];
    const gauge = (name: string, help: string, samples: MetricFamily["samples"]) =>
      families.push({ name: `photon_bench_${name}`, help, type: "gauge", samples });
    for (const [key, value] of Object.entries(this.deps.agentHealth()))
      if (typeof value === "number")
        gauge(`agent_${snakeName(key)}`, `the agent's ${key} (telemetry/agent)`, [{ value }]);
      else if (typeof value === "boolean")
        gauge(`agent_${snakeName(key)}`, `the agent's ${key} (1 true, 0 false)`, [{ value: value ? 1 : 0 }]);
    // Since the last scrape; a scrape that follows another at once repeats its values.
    const d = this.delay;
    if (d && d.count > 0) {
      this.delaySeconds = [d.percentile(50) / 1e9, d.percentile(99) / 1e9, d.max / 1e9];
      d.reset();
    }
    if (this.delaySeconds) {
      const [p50, p99, max] = this.delaySeconds;
      gauge("event_loop_delay_seconds", "how late the event loop ran timers between two scrapes", [
        { labels: { quantile: "0.5" }, value: p50! },
        { labels: { quantile: "0.99" }, value: p99! },
        { labels: { quantile: "1" }, value: max! },
      ]);
    }
    gauge("metrics_scrapes", "scrapes of /metrics served", [{ value: this.scrapes }]);
    const devices = [...this.devices].sort(([a], [b]) => a.localeCompare(b));
    gauge(
      "device_up",
      "1 while the device answers, 0 while it is faulted",
      devices.map(([device, s]) => ({ labels: { device, type: s.type }, value: s.up ? 1 : 0 })),
    );
    gauge(
      "device_reading",
      "each device's numeric readings by name, units in the name (sampleTempK, powerMw, detectorACps, lastTickLagMs, …)",
      devices.flatMap(([device, s]) =>
        Object.entries(s.values).flatMap(([reading, v]) =>
          typeof v === "number"
            ? [{ labels: { device, reading }, value: v }]
            : typeof v === "boolean"
              ? [{ labels: { device, reading }, value: v ? 1 : 0 }]
              : [],
        ),
      ),
    );
    gauge(
      "alarm_active",
      "active alarms (1 each)",
      [...this.alarms].sort().map(([alarm, severity]) => ({ labels: { alarm, severity }, value: 1 })),
    );
    this.measurementFamilies(gauge);
    this.sliFamilies(gauge);
    const a = this.alignment;
    if (a) {
      gauge("alignment_fraction_of_peak", "the coupling signal over the last known peak", [
        { value: a.fractionOfPeak },
      ]);
      gauge("alignment_mode", "the aligner's mode (1 for the current one)", [
        { labels: { mode: a.mode }, value: 1 },
      ]);
    }
    return exposition(families);
  }

  /** The SLIs (sli/<name>) and SLOs (sli/availability's slos) as gauges, one per numeric field. */
  private sliFamilies(gauge: (name: string, help: string, samples: MetricFamily["samples"]) => void): void {
    const sli: MetricFamily["samples"] = [];
    const slo: MetricFamily["samples"] = [];
    for (const [name, v] of [...this.slis].sort(([a], [b]) => a.localeCompare(b))) {
      const { ts: _ts, name: _n, runId: _r, slos, ...fields } = v as Record<string, unknown>;
      for (const [field, value] of numericLeaves(fields)) sli.push({ labels: { sli: name, field }, value });
      for (const [field, value] of numericLeaves((slos ?? {}) as Record<string, unknown>)) {
        const [sloName, ...rest] = field.split(".");
        slo.push({ labels: { slo: sloName!, field: rest.join(".") }, value });
      }
    }
    gauge("sli", "service-level indicators (sli/<name> on MQTT), one per numeric field", sli);
    gauge(
      "slo",
      "each SLO's figures: sli, errorBudgetRemaining, burnRate5m/30m/1h/6h, fastBurn, slowBurn",
      slo,
    );
  }

  private measurementFamilies(
    gauge: (name: string, help: string, samples: MetricFamily["samples"]) => void,
  ): void {
    const g2: MetricFamily["samples"] = [];
    const g2Error: MetricFamily["samples"] = [];
    const rates: MetricFamily["samples"] = [];
    const linewidth: MetricFamily["samples"] = [];
    for (const [name, m] of this.measurements) {
      const result = m.g2 as { g2Zero?: unknown; g2ZeroError?: unknown } | undefined;
      if (typeof result?.g2Zero === "number") g2.push({ labels: { histogram: name }, value: result.g2Zero });
      if (typeof result?.g2ZeroError === "number")
        g2Error.push({ labels: { histogram: name }, value: result.g2ZeroError });
      if (name === "rates")
        for (const [detector, r] of Object.entries(
          (m.detectors ?? {}) as Record<string, { rateCps?: unknown }>,
        ))
          if (typeof r.rateCps === "number") rates.push({ labels: { detector }, value: r.rateCps });
      if (name === "linewidth" && typeof m.linewidthMHz === "number")
        linewidth.push({ labels: { source: m.source }, value: m.linewidthMHz });
    }
    gauge("g2_zero", "g2(0) of the latest integration period, per histogram", g2);
    gauge("g2_zero_error", "its standard error", g2Error);
    gauge("detector_rate_cps", "each detector's count rate over the latest integration period", rates);
    gauge("linewidth_mhz", "the source's linewidth from the latest Fabry–Pérot scan", linewidth);
  }
}
