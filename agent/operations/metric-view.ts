/**
 * The latest value of every metric an operations rule can name (config/operations.ts): the last
 * telemetry of each device, the last measurement of each name and the aligner's state, learnt
 * from the bus, and the
 * SLIs and SLOs the operations service computes itself. A faulted device's readings are gone
 * (unknown), not stale.
 */
import type { Condition } from "../../config/operations.js";
import type { EventBus, MeasurementEvent } from "../events.js";

export type MetricValue = number | boolean | string | undefined;

export class MetricView {
  private readonly telemetry = new Map<string, Record<string, unknown>>();
  private readonly measurements = new Map<string, MeasurementEvent>();
  private aligner: Record<string, unknown> | undefined;
  private readonly own = new Map<string, Record<string, unknown>>();
  private readonly offs: Array<() => void>;

  constructor(bus: EventBus) {
    this.offs = [
      bus.on("telemetry", (t) => {
        if (t.state === "ok") this.telemetry.set(t.device, t.values);
        else this.telemetry.delete(t.device);
      }),
      bus.on("measurement", (m) => this.measurements.set(m.name, m)),
      bus.on("alignment", (a) => {
        this.aligner = a;
      }),
    ];
  }

  /** `sli/<name>` or `slo/<name>` values the operations service computed. */
  setOwn(kind: "sli" | "slo", name: string, values: Record<string, unknown>): void {
    this.own.set(`${kind}/${name}`, values);
  }

  value(path: string): MetricValue {
    const [kind, name, field] = splitPath(path);
    const record =
      kind === "telemetry"
        ? this.telemetry.get(name)
        : kind === "measurement"
          ? (this.measurements.get(name) as Record<string, unknown> | undefined)
          : kind === "alignment"
            ? this.aligner
            : this.own.get(`${kind}/${name}`);
    const value = dig(record, field);
    return typeof value === "number" || typeof value === "boolean" || typeof value === "string"
      ? value
      : undefined;
  }

  /** True or false, or undefined when the metric is unknown (never read, faulted, not a number). */
  holds(condition: Condition): boolean | undefined {
    return holds(condition, this.value(condition.metric));
  }

  close(): void {
    for (const off of this.offs) off();
  }
}

export function holds(c: Condition, value: MetricValue): boolean | undefined {
  if (c.equals !== undefined) return value === undefined ? undefined : value === c.equals;
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  return c.above !== undefined ? value > c.above : value < c.below!;
}

/** `telemetry/cryostat/sampleTempK` → ["telemetry", "cryostat", "sampleTempK"]. */
export function splitPath(path: string): [string, string, string] {
  const first = path.indexOf("/");
  const second = path.indexOf("/", first + 1);
  return [path.slice(0, first), path.slice(first + 1, second), path.slice(second + 1)];
}

function dig(record: Record<string, unknown> | undefined, dotted: string): unknown {
  let at: unknown = record;
  for (const key of dotted.split(".")) {
    if (typeof at !== "object" || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** Says a condition in words, for messages: `telemetry/cryostat/sampleTempK < 4.5`. */
export function describe(c: Condition): string {
  if (c.equals !== undefined) return `${c.metric} = ${String(c.equals)}`;
  return c.above !== undefined ? `${c.metric} > ${c.above}` : `${c.metric} < ${c.below}`;
}
