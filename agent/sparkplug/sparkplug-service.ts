/**
 * The Sparkplug B edge node as a service (`sparkplug.enabled`): a subscriber of the event bus
 * like the JSON publisher, feeding ./edge-node.ts. It starts right after the MQTT service, so it
 * stops late — after the bench is made safe, so what the other services publish while stopping
 * (alarms) goes out before the NDEATH — and its births wait for `announcer`, the last service, as
 * the `online` status does.
 *
 * Node metrics: bdSeq, Node Control/Rebirth, Node Info/{Bench Id, Agent Version, Backend} and
 * Commands/{Accepted, Refused, Last Result}. DCMD writes become control-plane requests
 * (./commands.ts) with `via` "sparkplug"; each outcome is counted and is the next Last Result.
 */
import type { SafetyConfig } from "../../config/schema.js";
import type { SparkplugConfig } from "../../config/sparkplug.js";
import type { Logger } from "../../hal/logger.js";
import type { Response } from "../control/protocol.js";
import type { EventBus } from "../events.js";
import type { Service } from "../service.js";
import { AGENT_VERSION } from "../version.js";
import { DataType, type MetricValue, type PropertyValue } from "./codec.js";
import { commandFor } from "./commands.js";
import { type ConnectionOptions, EdgeNode } from "./edge-node.js";
import {
  AGENT_DEVICES,
  alarmMetrics,
  alignmentMetrics,
  measurementMetrics,
  telemetryMetrics,
} from "./event-metrics.js";
import { MetricModel } from "./metric-model.js";

export interface SparkplugDeps {
  settings: SparkplugConfig;
  benchId: string;
  /** The connection: broker URL (known once the embedded broker listens), login, keepalive. */
  connection: () => ConnectionOptions;
  bus: EventBus;
  /** `<stateDir>/sparkplug` holds bdSeq and the held data. */
  dir: string;
  /** The control plane's one request path. */
  request: (verb: string, payload: Buffer, via: string) => Promise<Response>;
  /** The safety limits in force (engLow/engHigh of the metrics they bound). */
  safety: () => SafetyConfig;
  backend: () => string;
  logger: Logger;
}

export class SparkplugService implements Service {
  readonly name = "sparkplug";
  private edge: EdgeNode | undefined;
  private readonly off: Array<() => void> = [];
  private readonly commands = { accepted: 0, refused: 0 };
  private configuredDevices: Set<string> | undefined;
  private transactions = 0;

  constructor(private readonly deps: SparkplugDeps) {}

  async start(): Promise<void> {
    const { settings, bus, logger } = this.deps;
    const model = new MetricModel({
      deadband: (device, metric) => settings.deadbands[`${device}/${metric}`] ?? settings.deadbands[metric],
      defaultDeadbandPercent: settings.defaultDeadbandPercent,
      properties: (device, metric) => this.limits(device, metric),
    });
    model.defineNodeMetric("bdSeq", 0, DataType.Int64);
    model.defineNodeMetric("Node Control/Rebirth", false, DataType.Boolean, false);
    model.defineNodeMetric("Node Info/Bench Id", this.deps.benchId, DataType.String);
    model.defineNodeMetric("Node Info/Agent Version", AGENT_VERSION, DataType.String);
    model.defineNodeMetric("Node Info/Backend", this.deps.backend(), DataType.String);
    model.defineNodeMetric("Commands/Accepted", 0, DataType.Int64);
    model.defineNodeMetric("Commands/Refused", 0, DataType.Int64);
    model.defineNodeMetric("Commands/Last Result", "", DataType.String);
    const edge = new EdgeNode({
      ...this.deps.connection(),
      groupId: settings.groupId,
      edgeNodeId: settings.edgeNodeId ?? this.deps.benchId,
      primaryHostId: settings.primaryHostId,
      dir: this.deps.dir,
      holdMaxBytes: settings.holdMaxBytes,
      model,
      onCommand: (device, metric, value) => void this.command(device, metric, value),
      onRefused: (why) => this.result(false, why),
      nodeValues: () => ({ "Node Info/Backend": this.deps.backend() }),
      logger,
    });
    this.edge = edge;
    const at = (ts: string) => Date.parse(ts) || Date.now();
    this.off.push(
      bus.on("telemetry", (t) =>
        t.state === "ok" ? edge.update(t.device, telemetryMetrics(t.values), at(t.ts)) : edge.death(t.device),
      ),
      bus.on("measurement", (m) => edge.update(AGENT_DEVICES.measurements, measurementMetrics(m), at(m.ts))),
      bus.on("alignment", (a) => edge.update(AGENT_DEVICES.aligner, alignmentMetrics(a), at(a.ts))),
      bus.on("alarm", (a) => edge.update(AGENT_DEVICES.alarms, alarmMetrics(a), at(a.ts))),
      bus.on("config", (c) => this.devicesLeft(c.config)),
    );
    await edge.start();
  }

  /** The last service: births go out once every other service runs. */
  readonly announcer: Service = {
    name: "sparkplug births",
    start: async () => this.edge?.announce(),
    stop: async () => {},
  };

  async stop(): Promise<void> {
    for (const off of this.off.splice(0)) off();
    await this.edge?.stop();
  }

  health() {
    return {
      ...(this.edge?.health() ?? {}),
      sparkplugCommandsAccepted: this.commands.accepted,
      sparkplugCommandsRefused: this.commands.refused,
    };
  }

  private async command(device: string, metric: string, value: MetricValue): Promise<void> {
    const mapped = commandFor(device, metric, value);
    if ("refused" in mapped) return this.result(false, `DCMD ${device}/${metric}: ${mapped.refused}`);
    const transaction = `sparkplug-${process.pid}-${++this.transactions}-${Date.now()}`;
    const response = await this.deps.request(
      mapped.verb,
      Buffer.from(JSON.stringify({ transaction, ...mapped.args })),
      "sparkplug",
    );
    const what = `DCMD ${device}/${metric} = ${JSON.stringify(value)} → ${mapped.verb}`;
    if (response.status === "ok") this.result(true, `${what}: done`);
    else this.result(false, `${what}: refused (${response.error?.code}): ${response.error?.message}`);
  }

  private result(accepted: boolean, text: string): void {
    if (accepted) this.commands.accepted++;
    else {
      this.commands.refused++;
      this.deps.logger.warn({ result: text }, "Sparkplug command refused");
    }
    this.edge?.update("", {
      "Commands/Accepted": this.commands.accepted,
      "Commands/Refused": this.commands.refused,
      "Commands/Last Result": text,
    });
  }

  /** Devices that left the configuration die on the host (and are forgotten). */
  private devicesLeft(config: unknown): void {
    const devices = (config as { devices?: Record<string, unknown> } | undefined)?.devices ?? {};
    const now = new Set(Object.keys(devices));
    for (const name of this.configuredDevices ?? []) if (!now.has(name)) this.edge?.death(name, true);
    this.configuredDevices = now;
  }

  /** engLow / engHigh from the safety limits, where one bounds the metric. */
  private limits(device: string, metric: string): Record<string, PropertyValue> | undefined {
    const s = this.deps.safety();
    const range = (low: number, high: number) => ({ engLow: low, engHigh: high });
    if (metric === "powerMw") return range(0, s.laserMaxPowerMw);
    if (metric === "biasUa") return range(0, s.detectorMaxBiasUa);
    if (metric === "setpointK") return range(s.setpointMinK, s.setpointMaxK);
    const axis = /^([xyz])PositionUm$/.exec(metric)?.[1] as "x" | "y" | "z" | undefined;
    const soft = axis && s.actuatorLimitsUm[device]?.[axis];
    return soft ? range(soft.minUm, soft.maxUm) : undefined;
  }
}
