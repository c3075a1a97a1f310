/** The schemas of the operations payloads (agent/operations/): incidents, notifications, SLIs, runs, game days. */
import { z } from "zod";
import { seq, ts } from "./payload-primitives.js";

const stepOutcome = z.looseObject({
  step: z.string(),
  status: z.enum(["ok", "failed", "refused"]),
  startedAt: ts,
  durationMs: z.int().min(0),
  detail: z.string().optional(),
});
const runbookRun = z.looseObject({
  runbook: z.string(),
  trigger: z.string(),
  startedAt: ts,
  endedAt: ts.optional(),
  outcome: z.enum(["recovered", "failed", "refused", "aborted"]).optional(),
  steps: z.array(stepOutcome),
});

export const incidentPayload = z.looseObject({
  ts,
  seq,
  id: z.string(),
  state: z.enum(["open", "resolved"]),
  runId: z.string().optional(),
  openedAt: ts,
  resolvedAt: ts.optional(),
  ttrS: z.number().min(0).optional().describe("time to recover, first alarm → every symptom cleared, s"),
  cause: z.looseObject({
    alarm: z.string(),
    subject: z.string(),
    deviceType: z.string().optional(),
    message: z.string(),
  }),
  symptoms: z.array(
    z.looseObject({
      alarm: z.string(),
      subject: z.string(),
      severity: z.enum(["critical", "warning", "page", "ticket"]),
      message: z.string(),
      raisedAt: ts,
      clearedAt: ts.optional(),
    }),
  ),
  timeline: z.array(z.looseObject({ ts, what: z.string() })),
  runbooks: z.array(runbookRun),
  paged: z.looseObject({ ts, reason: z.string() }).optional(),
  ticketed: z.looseObject({ ts }).optional(),
  acknowledged: z.looseObject({ by: z.string(), ts }).optional(),
  quiet: z.looseObject({ kind: z.enum(["warm-up", "maintenance"]), reason: z.string() }).optional(),
});

export const notificationPayload = z.looseObject({
  ts,
  seq,
  kind: z.enum(["page", "ticket", "resolved"]),
  benchId: z.string(),
  incident: z.string(),
  title: z.string(),
  text: z.string(),
});

export const sliPayload = z
  .looseObject({ ts, seq, name: z.string(), runId: z.string().optional() })
  .describe(
    "availability: usable, quiet, availability, slos{name: {sli, errorBudgetRemaining, burnRate…}}; quality; background; coupling; mttr",
  );

export const runPayload = z.looseObject({
  ts,
  seq,
  state: z.enum(["running", "stopped"]),
  runId: z.string(),
  name: z.string(),
  operator: z.string(),
  sample: z.string().optional(),
  notes: z.string().optional(),
  startedAt: ts,
  stoppedAt: ts.optional(),
  softwareVersion: z.string(),
  configHash: z.string(),
});

export const gamedayPayload = z.looseObject({
  ts,
  seq,
  fault: z.string(),
  injectedAt: ts,
  state: z.enum(["running", "recovered", "timed-out"]),
  alarmS: z.number().optional(),
  incidentS: z.number().optional(),
  runbookS: z.number().optional(),
  recoveredS: z.number().optional(),
  paged: z.boolean(),
});
