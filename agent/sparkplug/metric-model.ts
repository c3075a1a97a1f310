/**
 * What the edge node knows of its metrics, apart from MQTT: per Sparkplug device (and the node
 * itself, id ""), each metric's name, alias, datatype, properties, current value, and the value
 * last sent (or held) for report by exception. Aliases are unique across the node and never
 * reused within the process (a rebirth restates them).
 *
 * update() takes a device's latest values and says what must happen:
 *  - `birth`: the device is new, was dead, or has a metric its birth did not declare (or of
 *    another type): it must be born (again) — a DBIRTH declares every metric it will report;
 *  - `changes`: the metrics that moved by more than their deadband since they were last sent.
 * The caller publishes the changes as DATA, or holds them while there is no session.
 */
import { unitOf } from "../units.js";
import {
  DataType,
  type DataTypeCode,
  type MetricValue,
  type PropertyValue,
  type SparkplugMetric,
} from "./codec.js";

export type Reading = MetricValue | null;

interface MetricState {
  name: string;
  alias: number;
  datatype: DataTypeCode;
  properties?: Record<string, PropertyValue>;
  value: Reading;
  timestamp: number;
  /** The value last published or held; undefined: never. */
  sent: Reading | undefined;
}

interface DeviceState {
  metrics: Map<string, MetricState>;
  /** Born in the current session, and not dead since. */
  born: boolean;
  /** Faulted: left out of births until it reports values again. */
  dead: boolean;
  /** Its birth must be (re)published before its next data. */
  needsBirth: boolean;
}

/** Values of one kind may share a metric: a number fits Double or Int64 alike. */
const kindOf = (datatype: DataTypeCode): string =>
  datatype === DataType.Boolean ? "boolean" : datatype === DataType.String ? "string" : "number";

function datatypeOf(value: Reading): DataTypeCode {
  if (typeof value === "boolean") return DataType.Boolean;
  if (typeof value === "string") return DataType.String;
  return DataType.Double;
}

export interface ModelOptions {
  /** Absolute deadband for `device/metric`, or undefined to use the relative default. */
  deadband: (device: string, metric: string) => number | undefined;
  defaultDeadbandPercent: number;
  /** Extra properties (limits) for a metric. */
  properties?: (device: string, metric: string) => Record<string, PropertyValue> | undefined;
}

export class MetricModel {
  private readonly devices = new Map<string, DeviceState>();
  private nextAlias = 1;

  constructor(private readonly options: ModelOptions) {}

  /** The node's own metric, fixed at birth (alias false: `Node Control/Rebirth` has none). */
  defineNodeMetric(name: string, value: Reading, datatype: DataTypeCode, alias = true): void {
    const node = this.device("");
    node.metrics.set(name, {
      name,
      alias: alias ? this.nextAlias++ : 0,
      datatype,
      value,
      timestamp: Date.now(),
      sent: undefined,
    });
  }

  /** The devices to be born in a birth sequence (alive, with values), in the order they appeared. */
  liveDeviceIds(): string[] {
    return [...this.devices].flatMap(([id, d]) => (id !== "" && !d.dead && d.metrics.size > 0 ? [id] : []));
  }

  isBorn(id: string): boolean {
    return this.devices.get(id)?.born ?? false;
  }

  update(
    id: string,
    values: Record<string, Reading>,
    timestamp: number,
  ): { birth: boolean; changes: SparkplugMetric[] } {
    const device = this.device(id);
    device.dead = false;
    const changes: SparkplugMetric[] = [];
    for (const [name, value] of Object.entries(values)) {
      let metric = device.metrics.get(name);
      if (metric && value !== null && typeof value !== kindOf(metric.datatype)) {
        // Another type under the same name: a new metric for the host (a birth restates it).
        device.metrics.delete(name);
        metric = undefined;
      }
      if (!metric) {
        metric = {
          name,
          alias: this.nextAlias++,
          datatype: datatypeOf(value),
          value,
          timestamp,
          sent: undefined,
        };
        const unit = unitOf(name);
        const extra = this.options.properties?.(id, name);
        if (unit || extra) metric.properties = { ...(unit ? { engUnit: unit } : {}), ...extra };
        device.metrics.set(name, metric);
        device.needsBirth = true;
      }
      metric.value = value;
      metric.timestamp = timestamp;
      if (this.changed(id, metric)) {
        metric.sent = value;
        changes.push({
          name,
          alias: metric.alias,
          timestamp,
          ...(value === null ? { isNull: true } : { value }),
        });
      }
    }
    return { birth: device.needsBirth || !device.born, changes };
  }

  /** The device is gone or faulted: the next values bear a new birth. */
  kill(id: string): boolean {
    const device = this.devices.get(id);
    if (!device) return false;
    const wasBorn = device.born;
    device.born = false;
    device.dead = true;
    device.needsBirth = true;
    return wasBorn;
  }

  /** Forgets a device (it left the configuration). */
  forget(id: string): void {
    this.devices.delete(id);
  }

  /** A new session: nothing is born. */
  unbornAll(): void {
    for (const device of this.devices.values()) device.born = false;
  }

  /**
   * Every metric of the device with name, alias, datatype, properties and current value, for its
   * birth; the device counts as born and what the birth carries as sent.
   */
  birth(id: string): SparkplugMetric[] {
    const device = this.device(id);
    device.born = true;
    device.needsBirth = false;
    return [...device.metrics.values()].map((m) => {
      m.sent = m.value;
      return {
        name: m.name,
        ...(m.alias ? { alias: m.alias } : {}),
        timestamp: m.timestamp,
        datatype: m.datatype,
        ...(m.properties ? { properties: m.properties } : {}),
        ...(m.value === null ? { isNull: true } : { value: m.value }),
      };
    });
  }

  /** A metric by alias or by name, for a command. */
  find(
    id: string,
    ref: { alias?: number; name?: string },
  ): { name: string; datatype: DataTypeCode } | undefined {
    const metrics = this.devices.get(id)?.metrics;
    if (!metrics) return undefined;
    if (ref.name !== undefined) return metrics.get(ref.name);
    for (const m of metrics.values()) if (m.alias === ref.alias) return m;
    return undefined;
  }

  /** The alias a held value's metric has now (undefined: the device or the metric is unknown). */
  aliasOf(id: string, name: string): number | undefined {
    return this.devices.get(id)?.metrics.get(name)?.alias;
  }

  private changed(id: string, m: MetricState): boolean {
    if (m.sent === undefined) return true;
    if (typeof m.value !== "number" || typeof m.sent !== "number") return m.value !== m.sent;
    const absolute = this.options.deadband(id, m.name);
    const band = absolute ?? (Math.abs(m.sent) * this.options.defaultDeadbandPercent) / 100;
    return Math.abs(m.value - m.sent) > band;
  }

  private device(id: string): DeviceState {
    let device = this.devices.get(id);
    if (!device) {
      device = { metrics: new Map(), born: false, dead: false, needsBirth: true };
      this.devices.set(id, device);
    }
    return device;
  }
}
