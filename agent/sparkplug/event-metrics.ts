/**
 * The agent's events as Sparkplug metrics: one Sparkplug device per bench device (its telemetry
 * values), plus three of the agent's own — `measurements` (every measurement's scalar fields, as
 * `hbt/g2/g2Zero`), `aligner` (the aligner's state) and `alarms` (per alarm: active, severity,
 * message, acknowledged). Nested objects become folders (`/` in the name); arrays of strings
 * become one comma-separated string; numeric arrays and encoded histograms stay on the JSON topics
 * (a SCADA tag holds a value, not a histogram).
 */
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { AlarmPayload, AlignmentEvent, MeasurementEvent } from "../events.js";
import type { Reading } from "./metric-model.js";

/** The agent's own Sparkplug devices (config/sparkplug.ts keeps bench devices off these names). */
export const AGENT_DEVICES = { measurements: "measurements", aligner: "aligner", alarms: "alarms" } as const;

/** Fields that say what a message is, not what was measured. */
const ENVELOPE = new Set(["ts", "seq", "name", "source", "device", "type"]);
/** A string longer than this is data for the JSON topics (an encoded histogram), not a tag. */
const MAX_STRING = 256;
const MAX_DEPTH = 4;

function flattenInto(out: Record<string, Reading>, prefix: string, value: unknown, depth: number): void {
  if (value === null || value === undefined) return;
  if (typeof value === "number") {
    out[prefix] = Number.isFinite(value) ? value : null;
  } else if (typeof value === "boolean") {
    out[prefix] = value;
  } else if (typeof value === "string") {
    if (value.length <= MAX_STRING) out[prefix] = value;
  } else if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string")) out[prefix] = value.join(", ");
  } else if (typeof value === "object" && depth < MAX_DEPTH) {
    for (const [key, inner] of Object.entries(value))
      flattenInto(out, prefix ? `${prefix}/${key}` : key, inner, depth + 1);
  }
}

/** An object's scalar fields as metrics, `prefix/` before each name, the envelope left out. */
export function flatten(body: object, prefix = ""): Record<string, Reading> {
  const out: Record<string, Reading> = {};
  for (const [key, value] of Object.entries(body))
    if (!ENVELOPE.has(key)) flattenInto(out, prefix ? `${prefix}/${key}` : key, value, 1);
  return out;
}

export const telemetryMetrics = (values: TelemetryValues): Record<string, Reading> => flatten(values);

export const measurementMetrics = (m: MeasurementEvent): Record<string, Reading> => flatten(m, m.name);

export const alignmentMetrics = (a: AlignmentEvent): Record<string, Reading> => flatten(a);

export function alarmMetrics(a: AlarmPayload): Record<string, Reading> {
  return {
    [`${a.name}/active`]: a.active,
    [`${a.name}/severity`]: a.severity,
    [`${a.name}/message`]: a.message,
    [`${a.name}/acknowledged`]: a.acknowledged !== undefined,
  };
}
