/**
 * Sparkplug B payloads to and from bytes, with protobufjs and the specification's own schema
 * (./sparkplug-b-proto.ts). Only what an edge node of scalar metrics needs: metrics of the basic
 * types with their timestamps, aliases, is_historical / is_null, and properties of strings and
 * numbers. A payload that does not decode, or a metric of a type we do not take (a DataSet, a
 * Template), is an error that says which.
 */
import protobuf from "protobufjs";
import { SPARKPLUG_B_PROTO } from "./sparkplug-b-proto.js";

/** The specification's data type numbers (chapter 6, "Data Types"), those we use or accept. */
export const DataType = {
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export type MetricValue = number | boolean | string;

/** A property of a metric: a string (engUnit) or a number (engLow, engHigh, Quality). */
export type PropertyValue = string | number;

export interface SparkplugMetric {
  name?: string;
  alias?: number;
  /** ms since 1970, UTC. */
  timestamp?: number;
  datatype?: number;
  isHistorical?: boolean;
  isNull?: boolean;
  properties?: Record<string, PropertyValue>;
  /** Absent when isNull. */
  value?: MetricValue;
}

export interface SparkplugPayload {
  timestamp?: number;
  /** Absent only in NDEATH (and in commands). */
  seq?: number;
  metrics: SparkplugMetric[];
}

const root = protobuf.parse(SPARKPLUG_B_PROTO).root;
const PayloadType = root.lookupType("org.eclipse.tahu.protobuf.Payload");

const INTEGER_TYPES = new Set<number>([1, 2, 3, 5, 6, 7]);
const LONG_TYPES = new Set<number>([4, 8, 13]);

/** Where a value of `datatype` goes in the Metric's `value` oneof. */
function valueField(datatype: number, value: MetricValue): Record<string, unknown> {
  if (typeof value === "boolean") return { booleanValue: value };
  if (typeof value === "string") return { stringValue: value };
  if (INTEGER_TYPES.has(datatype)) return { intValue: value >>> 0 };
  if (LONG_TYPES.has(datatype)) return { longValue: value };
  if (datatype === DataType.Float) return { floatValue: value };
  return { doubleValue: value };
}

function encodeProperties(properties: Record<string, PropertyValue>) {
  const keys = Object.keys(properties);
  return {
    keys,
    values: keys.map((k) => {
      const v = properties[k]!;
      return typeof v === "string"
        ? { type: DataType.String, stringValue: v }
        : k === "Quality" // the specification's one Int32 property (0 bad, 192 good, 500 stale)
          ? { type: DataType.Int32, intValue: v >>> 0 }
          : { type: DataType.Double, doubleValue: v };
    }),
  };
}

export function encodePayload(payload: SparkplugPayload): Uint8Array {
  const message = {
    ...(payload.timestamp !== undefined ? { timestamp: payload.timestamp } : {}),
    ...(payload.seq !== undefined ? { seq: payload.seq } : {}),
    metrics: payload.metrics.map((m) => ({
      ...(m.name !== undefined ? { name: m.name } : {}),
      ...(m.alias !== undefined ? { alias: m.alias } : {}),
      ...(m.timestamp !== undefined ? { timestamp: m.timestamp } : {}),
      ...(m.datatype !== undefined ? { datatype: m.datatype } : {}),
      ...(m.isHistorical ? { isHistorical: true } : {}),
      ...(m.isNull || m.value === undefined ? { isNull: true } : valueField(m.datatype ?? 0, m.value)),
      ...(m.properties ? { properties: encodeProperties(m.properties) } : {}),
    })),
  };
  return PayloadType.encode(message).finish();
}

type Decoded = Record<string, unknown> & { metrics?: Array<Record<string, unknown>> };

const INT32 = (v: number, datatype: number) =>
  datatype === DataType.Int8 || datatype === DataType.Int16 || datatype === DataType.Int32 ? v | 0 : v;

function decodedValue(m: Record<string, unknown>): MetricValue | undefined {
  const datatype = typeof m.datatype === "number" ? m.datatype : 0;
  if (typeof m.intValue === "number") return INT32(m.intValue, datatype);
  for (const key of ["longValue", "floatValue", "doubleValue", "booleanValue", "stringValue"])
    if (m[key] !== undefined) return m[key] as MetricValue;
  for (const key of ["bytesValue", "datasetValue", "templateValue", "extensionValue"])
    if (m[key] !== undefined) throw new Error(`metric ${String(m.name ?? m.alias)}: a ${key} is not taken`);
  return undefined;
}

function decodedProperties(
  p: Record<string, unknown> | undefined,
): Record<string, PropertyValue> | undefined {
  if (!p) return undefined;
  const keys = (p.keys as string[] | undefined) ?? [];
  const values = (p.values as Array<Record<string, unknown>> | undefined) ?? [];
  const out: Record<string, PropertyValue> = {};
  keys.forEach((k, i) => {
    const v = values[i] ?? {};
    const value = v.stringValue ?? v.doubleValue ?? v.floatValue ?? v.longValue ?? v.intValue;
    if (typeof value === "string" || typeof value === "number") out[k] = value;
  });
  return out;
}

/** Decodes a payload; throws with the reason when it is not a Sparkplug B payload we can read. */
export function decodePayload(bytes: Uint8Array): SparkplugPayload {
  const message = PayloadType.decode(bytes);
  const o = PayloadType.toObject(message, { longs: Number, oneofs: false }) as Decoded;
  const payload: SparkplugPayload = {
    metrics: (o.metrics ?? []).map((m) => {
      const value = decodedValue(m);
      const properties = decodedProperties(m.properties as Record<string, unknown> | undefined);
      return {
        ...(typeof m.name === "string" ? { name: m.name } : {}),
        ...(typeof m.alias === "number" ? { alias: m.alias } : {}),
        ...(typeof m.timestamp === "number" ? { timestamp: m.timestamp } : {}),
        ...(typeof m.datatype === "number" ? { datatype: m.datatype } : {}),
        ...(m.isHistorical === true ? { isHistorical: true } : {}),
        ...(m.isNull === true ? { isNull: true } : {}),
        ...(properties ? { properties } : {}),
        ...(value !== undefined ? { value } : {}),
      };
    }),
  };
  if (typeof o.timestamp === "number") payload.timestamp = o.timestamp;
  if (typeof o.seq === "number") payload.seq = o.seq;
  return payload;
}
