/** What the operations service publishes: incidents, notifications, SLIs and runs. */
import type { RunbookRun } from "./runbook-runner.js";
import type { Quiet } from "./windows.js";

export interface Symptom {
  alarm: string;
  /** The device or part the alarm is about (./topology.ts). */
  subject: string;
  severity: "critical" | "warning" | "page" | "ticket";
  message: string;
  raisedAt: string;
  clearedAt?: string;
}

export interface IncidentPayload {
  ts: string;
  id: string;
  state: "open" | "resolved";
  runId?: string;
  openedAt: string;
  resolvedAt?: string;
  /** Time to recover, alarm → operational, s. */
  ttrS?: number;
  /** The probable cause: the most upstream symptom. */
  cause: { alarm: string; subject: string; deviceType?: string; message: string };
  symptoms: Symptom[];
  timeline: Array<{ ts: string; what: string }>;
  runbooks: RunbookRun[];
  /** Set once, when the incident paged someone (never twice). */
  paged?: { ts: string; reason: string };
  ticketed?: { ts: string };
  acknowledged?: { by: string; ts: string };
  /** Warm-up or maintenance when it opened: no page. */
  quiet?: Quiet;
}

export interface NotificationPayload {
  ts: string;
  kind: "page" | "ticket" | "resolved";
  benchId: string;
  incident: string;
  title: string;
  text: string;
}

export interface RunPayload {
  ts: string;
  state: "running" | "stopped";
  runId: string;
  name: string;
  operator: string;
  sample?: string;
  notes?: string;
  startedAt: string;
  stoppedAt?: string;
  softwareVersion: string;
  configHash: string;
}

/** `sli/<name>`: one service-level indicator, retained. */
export interface SliPayload {
  ts: string;
  name: string;
  runId?: string;
  [field: string]: unknown;
}
