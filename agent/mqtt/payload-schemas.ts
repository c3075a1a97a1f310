/**
 * The JSON payloads the agent publishes, one schema per topic kind, versioned: a change that
 * would break a subscriber bumps PAYLOAD_SCHEMA_VERSION and lands the new files beside the old
 * (`schemas/payloads/v<N>/<name>.schema.json`, written by `photon-bench schema --payloads DIR` and
 * kept current by a test; another test checks what a running agent sends against those files).
 * Objects are open (a new field is not a break); the fields listed are required when marked so.
 */
import { z } from "zod";
import {
  gamedayPayload,
  incidentPayload,
  notificationPayload,
  runPayload,
  sliPayload,
} from "./operations-payloads.js";
import { seq, ts } from "./payload-primitives.js";

export const PAYLOAD_SCHEMA_VERSION = 1;

const error = z.looseObject({ error: z.string() });

const status = z.looseObject({
  state: z.enum(["online", "offline"]),
  benchId: z.string(),
  ts,
  reason: z.string().optional(),
  version: z.string().optional(),
  host: z.string().optional(),
  pid: z.int().optional(),
  startedAt: ts.optional(),
  backend: z.string().optional(),
  lastUpdate: z
    .looseObject({
      result: z.enum(["updated", "rolled-back"]),
      from: z.string().optional(),
      to: z.string(),
      ts,
      reason: z.string().optional(),
    })
    .optional()
    .describe("the installation's last update (systemd/install.sh): done, or rolled back and why"),
});

const telemetryValue = z.union([z.number(), z.boolean(), z.string(), z.array(z.string())]);
const telemetry = z.union([
  z.looseObject({
    ts,
    seq,
    device: z.string(),
    type: z.string(),
    state: z.literal("ok"),
    values: z.record(z.string(), telemetryValue).describe("readings, each unit at the end of its name"),
  }),
  z.looseObject({
    ts,
    seq,
    device: z.string(),
    type: z.string(),
    state: z.literal("faulted"),
    fault: z.looseObject({ error: z.string(), message: z.string() }),
    faultedSince: ts,
    nextRetryInS: z.number().min(0),
  }),
  z
    .looseObject({
      ts,
      seq,
      device: z.string(),
      type: z.string(),
      state: z.literal("summary"),
      summary: z.looseObject({
        fromTs: ts,
        toTs: ts,
        samples: z.int().min(1),
        faultedSamples: z.int().min(0),
        seqFrom: z.int().min(1),
      }),
      values: z.record(z.string(), z.looseObject({ min: z.number(), mean: z.number(), max: z.number() })),
    })
    .describe("samples the full outbox folded into one per device and minute (agent/mqtt/outbox-thin.ts)"),
]);

const alarm = z.looseObject({
  ts,
  seq,
  name: z.string(),
  active: z.boolean(),
  severity: z.enum(["critical", "warning"]),
  message: z.string(),
  since: ts.optional(),
  acknowledged: z.looseObject({ by: z.string(), ts }).optional(),
  runId: z.string().optional().describe("the run in progress when it was raised"),
});

const axisUm = z.partialRecord(z.enum(["x", "y", "z"]), z.number());
const alignment = z.looseObject({
  ts,
  seq,
  mode: z.enum(["idle", "search", "peak", "track", "reacquire", "blocked"]),
  positionUm: axisUm,
  signalMw: z.number().optional().describe("the photodiode's coupled power, when that is the signal"),
  signalCps: z.number().optional().describe("a detector's count rate, when that is the signal"),
  fractionOfPeak: z.number(),
  ditherLoss: z.number(),
  modeRadiusUm: z.number(),
  samples: z.int(),
  clampedMoves: z.int(),
  note: z.string().optional(),
});

const envelope = {
  ts,
  seq,
  name: z.string(),
  source: z.string(),
  runId: z.string().optional().describe("the run in progress (run/start)"),
  analysis: z
    .looseObject({ softwareVersion: z.string(), configHash: z.string(), integrationS: z.number() })
    .optional()
    .describe("what produced it: the correlation settings, the software version and the config hash"),
  clock: z
    .looseObject({ clock: z.literal("system"), synced: z.boolean().nullable(), source: z.string() })
    .optional()
    .describe("the clock `ts` is on and whether the system says it is synchronised"),
  tagClockEndS: z.number().optional().describe("the tagger's own clock at the period's end, s (beside `ts`)"),
};

const detectorRate = z.looseObject({
  photons: z.int().min(0),
  rateCps: z.number(),
  correctedRateCps: z.number().optional(),
  deadFraction: z.number().optional(),
  saturated: z.boolean().optional(),
  detectedPerPulse: z.number().optional(),
});
const rates = z.looseObject({
  ...envelope,
  name: z.literal("rates"),
  period: z.int().min(0),
  integrationS: z.number().positive(),
  syncInputCps: z.number().optional().describe("sync tags at the tagger's input (after its divider)"),
  syncDivider: z.int().min(1).optional(),
  syncRateHz: z.number().optional().describe("the laser's repetition rate: syncInputCps × syncDivider"),
  detectors: z.record(z.string(), detectorRate),
});

const g2 = z.union([
  z.looseObject({ kind: z.enum(["pulsed", "cw"]), g2Zero: z.number(), g2ZeroError: z.number() }),
  error,
]);
const histogramCounts = z.looseObject({
  firstTauPs: z.number(),
  binPs: z.number().positive(),
  bins: z.int().min(0),
  countsBase64: z.string().optional().describe("the counts as little-endian uint32, base64"),
  counts: z.array(z.int().min(0)).optional().describe("analysis/snapshot with counts: array"),
});
const histogram = z.looseObject({
  ...envelope,
  period: z.int().min(0),
  integrationS: z.number().positive(),
  channels: z.looseObject({ a: z.string(), b: z.string() }),
  singles: z.looseObject({ a: z.int().min(0), b: z.int().min(0) }),
  coincidences: z.int().min(0),
  g2,
  hom: z.union([z.looseObject({ visibility: z.number(), visibilityError: z.number() }), error]).optional(),
  heralding: z
    .union([z.looseObject({ efficiency: z.number(), efficiencyError: z.number() }), error])
    .optional(),
  histogram: histogramCounts,
});

const linewidth = z.looseObject({
  ...envelope,
  name: z.literal("linewidth"),
  lineFound: z.boolean(),
  linewidthMHz: z.number().optional(),
  linewidthErrorMHz: z.number().optional(),
});

const config = z.looseObject({
  ts,
  seq,
  version: z.int().min(0),
  hash: z.string(),
  config: z.looseObject({ benchId: z.string() }),
});

const audit = z.looseObject({
  ts,
  seq,
  verb: z.string(),
  transaction: z.string().optional(),
  via: z.string(),
  status: z.enum(["ok", "error"]),
  code: z.string().optional(),
  message: z.string().optional(),
});

const response = z.looseObject({
  transaction: z.string().nullable(),
  status: z.enum(["ok", "error"]),
  data: z.unknown().optional(),
  error: z.looseObject({ code: z.string(), message: z.string(), path: z.string().optional() }).optional(),
});

/** Each published payload kind: its schema and the topic (under `<base>/<benchId>/`) it goes on. */
export const payloadSchemas = {
  status: { topic: "status", schema: status },
  telemetry: { topic: "telemetry/<device>", schema: telemetry },
  alarm: { topic: "alarm/<name>", schema: alarm },
  alignment: { topic: "alignment", schema: alignment },
  "measurement-rates": { topic: "measurement/rates", schema: rates },
  "measurement-histogram": { topic: "measurement/<histogram>", schema: histogram },
  "measurement-linewidth": { topic: "measurement/linewidth", schema: linewidth },
  config: { topic: "config", schema: config },
  audit: { topic: "event/audit", schema: audit },
  response: { topic: "response/<verb>", schema: response },
  incident: { topic: "incident/<id>", schema: incidentPayload },
  notification: { topic: "event/notification", schema: notificationPayload },
  sli: { topic: "sli/<name>", schema: sliPayload },
  run: { topic: "run", schema: runPayload },
  gameday: { topic: "gameday", schema: gamedayPayload },
} as const;

export type PayloadKind = keyof typeof payloadSchemas;

/** The payload kind of a topic below the bench's root (`telemetry/laser` → telemetry). */
export function payloadKindOf(relativeTopic: string): PayloadKind | undefined {
  const [first, second] = relativeTopic.split("/");
  if (first === "measurement")
    return second === "rates"
      ? "measurement-rates"
      : second === "linewidth"
        ? "measurement-linewidth"
        : "measurement-histogram";
  if (first === "event")
    return second === "audit" ? "audit" : second === "notification" ? "notification" : undefined;
  return (
    [
      "status",
      "telemetry",
      "alarm",
      "alignment",
      "config",
      "response",
      "incident",
      "sli",
      "run",
      "gameday",
    ] as const
  ).find((k) => k === first);
}

/** The published JSON Schema of one payload kind. */
export function payloadJsonSchema(kind: PayloadKind): Record<string, unknown> {
  const { topic, schema } = payloadSchemas[kind];
  return {
    $id: `https://photon-bench.invalid/schemas/payloads/v${PAYLOAD_SCHEMA_VERSION}/${kind}.schema.json`,
    ...z.toJSONSchema(schema, { unrepresentable: "any" }),
    title: `photon-bench ${topic} payload, v${PAYLOAD_SCHEMA_VERSION}`,
  };
}
