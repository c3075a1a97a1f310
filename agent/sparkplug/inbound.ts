/**
 * What a message the edge node receives asks of it, decided apart from the session: the primary
 * host's STATE ({online, timestamp}, Sparkplug 3.0 JSON), a rebirth (NCMD `Node Control/Rebirth`
 * = true), a DCMD metric write (to a metric of the device's birth, with a value of its type), or
 * a refusal that says what was wrong. Nothing here acts.
 */
import { DataType, decodePayload, type MetricValue } from "./codec.js";
import type { MetricModel } from "./metric-model.js";

export const REBIRTH = "Node Control/Rebirth";

export type Inbound =
  | { kind: "state"; online: boolean; timestamp: number }
  | { kind: "bad-state"; text: string }
  | { kind: "rebirth" }
  | { kind: "command"; device: string; metric: string; value: MetricValue }
  | { kind: "refused"; why: string };

function compatible(datatype: number, value: MetricValue): boolean {
  if (datatype === DataType.Boolean) return typeof value === "boolean";
  if (datatype === DataType.String || datatype === DataType.Text) return typeof value === "string";
  return typeof value === "number";
}

function hostState(payload: Buffer): Inbound {
  let state: { online?: unknown; timestamp?: unknown } = {};
  try {
    state = JSON.parse(payload.toString()) as typeof state;
  } catch {
    // not JSON: reported below
  }
  return typeof state?.online === "boolean" && typeof state.timestamp === "number"
    ? { kind: "state", online: state.online, timestamp: state.timestamp }
    : { kind: "bad-state", text: payload.toString().slice(0, 200) };
}

/** `topics`: this node's NCMD topic and its DCMD topic (a device id follows it after a slash). */
export function readInbound(
  topic: string,
  payload: Buffer,
  topics: { ncmd: string; dcmd: string },
  model: MetricModel,
): Inbound[] {
  if (topic.startsWith("spBv1.0/STATE/")) return [hostState(payload)];
  let metrics: ReturnType<typeof decodePayload>["metrics"];
  try {
    metrics = decodePayload(payload).metrics;
  } catch (err) {
    return [{ kind: "refused", why: `${topic}: not a Sparkplug B payload (${(err as Error).message})` }];
  }
  if (topic === topics.ncmd)
    return metrics.map((m) =>
      m.name === REBIRTH && m.value === true
        ? { kind: "rebirth" }
        : {
            kind: "refused",
            why: `NCMD ${m.name ?? `alias ${m.alias}`}: the node takes only ${REBIRTH} = true`,
          },
    );
  const device = topic.slice(topics.dcmd.length + 1);
  return metrics.map((m): Inbound => {
    const metric = model.find(device, m);
    const what = `DCMD ${device}/${m.name ?? `alias ${m.alias}`}`;
    if (!metric) return { kind: "refused", why: `${what}: no such metric in the device's birth` };
    if (m.value === undefined) return { kind: "refused", why: `${what}: no value` };
    if (!compatible(metric.datatype, m.value))
      return {
        kind: "refused",
        why: `${what}: a ${typeof m.value} for a metric of datatype ${metric.datatype}`,
      };
    return { kind: "command", device, metric: metric.name, value: m.value };
  });
}
