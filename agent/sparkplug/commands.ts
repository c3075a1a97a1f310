/**
 * Which Sparkplug metric writes are commands, and which control-plane verb each becomes. A DCMD
 * is never a side door: the verb runs through the control plane's one request path (its schema,
 * `control.enabled` and the allow list, the rate limit, the interlocks and safety limits, the
 * audit trail), exactly as an MQTT request or `photon-bench ctl` would. A write to any other
 * metric is refused.
 *
 *   bench device metric      verb
 *   emission (Boolean)       laser/emission {on}
 *   powerMw                  laser/power {powerMw}
 *   setpointK                cryostat/setpoint {tempK}
 *   heaterRange (String)     cryostat/heater-range {range}
 *   enabled (Boolean)        detector/bias {on}
 *   biasUa                   detector/bias {on: true, biasUa}
 *   xPositionUm …            stage/move {axis, positionUm}
 *   aligner/mode (String)    alignment/<search|peak|track|stop>
 *   alarms/<name>/acknowledged = true          alarm/ack {name}
 *   interlocks/<rule>Latched = false           interlock/reset {rules: [rule]}
 */
import type { MetricValue } from "./codec.js";
import { AGENT_DEVICES } from "./event-metrics.js";

export interface CommandRequest {
  verb: string;
  args: Record<string, unknown>;
}

type Mapping = (device: string, value: MetricValue) => CommandRequest;

const deviceMetrics: Record<string, Mapping> = {
  emission: (device, on) => ({ verb: "laser/emission", args: { device, on } }),
  powerMw: (device, powerMw) => ({ verb: "laser/power", args: { device, powerMw } }),
  setpointK: (device, tempK) => ({ verb: "cryostat/setpoint", args: { device, tempK } }),
  heaterRange: (device, range) => ({ verb: "cryostat/heater-range", args: { device, range } }),
  enabled: (device, on) => ({ verb: "detector/bias", args: { device, on } }),
  biasUa: (device, biasUa) => ({ verb: "detector/bias", args: { device, on: true, biasUa } }),
};

const ALIGNMENT_MODES = new Set(["search", "peak", "track", "stop"]);

/** The verb a write of `metric` on `device` asks for, or why it is no command. */
export function commandFor(
  device: string,
  metric: string,
  value: MetricValue,
): CommandRequest | { refused: string } {
  if (device === AGENT_DEVICES.aligner) {
    if (metric === "mode" && typeof value === "string" && ALIGNMENT_MODES.has(value))
      return { verb: `alignment/${value}`, args: {} };
    return { refused: `aligner: only mode is written, to one of ${[...ALIGNMENT_MODES].join(", ")}` };
  }
  if (device === AGENT_DEVICES.alarms) {
    const alarm = /^(.+)\/acknowledged$/.exec(metric)?.[1];
    if (alarm && value === true) return { verb: "alarm/ack", args: { name: alarm } };
    return { refused: "alarms: only <alarm>/acknowledged is written, to true" };
  }
  if (device === "interlocks") {
    const rule = /^(.+)Latched$/.exec(metric)?.[1];
    if (rule && value === false) return { verb: "interlock/reset", args: { rules: [rule] } };
    return { refused: "interlocks: only <rule>Latched is written, to false (a reset)" };
  }
  const axis = /^([xyz])PositionUm$/.exec(metric)?.[1];
  if (axis) return { verb: "stage/move", args: { device, axis, positionUm: value } };
  const mapping = Object.hasOwn(deviceMetrics, metric) ? deviceMetrics[metric] : undefined;
  if (mapping) return mapping(device, value);
  return { refused: `${device}/${metric} is read-only` };
}
