/**
 * Alarms become incidents. An alarm raised while an incident is open joins it if its subject is
 * related to one of the incident's (./topology.ts) and the incident opened within `groupWindowS`;
 * otherwise it opens a new one. The same symptom raised again in the same run soon after its
 * incident resolved reopens that incident (deduplicated by run and symptom). The probable cause is
 * the most upstream symptom. An incident resolves when every symptom has cleared and no runbook is
 * running; its time to recover (first alarm → operational) is its `ttrS`.
 *
 * Who is told: `settleS` after an incident opens, its cause decides. A runbook triggered by the
 * cause runs, and the incident pages only if the runbook fails. Without a runbook, a critical
 * symptom pages, a warning one files a ticket. An alert rule of severity `page` (a critical
 * threshold) pages at once. An incident that opened during warm-up or maintenance never pages.
 * An incident reopened after its runbook recovered it pages (the automation did not hold); one
 * reopened otherwise is decided again. Each incident pages at most once.
 */
import type { AlarmPayload } from "../events.js";
import type { RunbookRun } from "./runbook-runner.js";
import { compactStamp } from "./runs.js";
import type { Topology } from "./topology.js";
import type { IncidentPayload, Symptom } from "./types.js";
import type { Quiet } from "./windows.js";

export interface IncidentHooks {
  emit(incident: IncidentPayload): void;
  notify(kind: "page" | "ticket" | "resolved", incident: IncidentPayload, text: string): void;
  /** Starts the runbook the cause triggers; its name, or undefined if none is configured or one is already running. */
  startRunbook(incident: IncidentPayload): string | undefined;
  quiet(): Quiet | undefined;
  /** `page`/`ticket` for an alert rule's alarm, undefined for others. */
  alertSeverity(alarm: string): "page" | "ticket" | undefined;
}

export interface IncidentSettings {
  groupWindowS: number;
  settleS: number;
}

type Tracked = IncidentPayload & { decided: boolean; runbookRunning: boolean };

export class IncidentBook {
  private readonly incidents = new Map<string, Tracked>();
  private counter = 0;

  constructor(
    private readonly topology: Topology,
    private readonly settings: () => IncidentSettings,
    private readonly hooks: IncidentHooks,
    private readonly now: () => number = Date.now,
  ) {}

  /** Incidents kept (open, and resolved ones not yet forgotten), newest last. */
  all(): IncidentPayload[] {
    return [...this.incidents.values()].map(plain);
  }

  open(): IncidentPayload[] {
    return this.all().filter((i) => i.state === "open");
  }

  get(id: string): IncidentPayload | undefined {
    const i = this.incidents.get(id);
    return i && plain(i);
  }

  /** Incidents from before a restart: open ones go on (their runbook does not). */
  restore(saved: readonly IncidentPayload[]): void {
    for (const i of saved) {
      this.incidents.set(i.id, { ...i, decided: true, runbookRunning: false });
      const n = Number(i.id.split("-").at(-1));
      if (Number.isSafeInteger(n)) this.counter = Math.max(this.counter, n);
    }
  }

  onAlarm(alarm: AlarmPayload, runId: string | undefined): void {
    if (alarm.acknowledged && alarm.active) return; // an acknowledgement, not a new raise
    const ts = alarm.ts;
    if (!alarm.active) {
      for (const i of this.incidents.values()) {
        const s = i.symptoms.find((x) => x.alarm === alarm.name && x.clearedAt === undefined);
        if (!s || i.state !== "open") continue;
        s.clearedAt = ts;
        this.note(i, `${alarm.name} cleared: ${alarm.message}`, ts);
        this.maybeResolve(i);
        this.hooks.emit(plain(i));
      }
      return;
    }
    const subject = this.topology.subjectOf(alarm.name);
    const symptom: Symptom = {
      alarm: alarm.name,
      subject,
      severity: this.hooks.alertSeverity(alarm.name) ?? alarm.severity,
      message: alarm.message,
      raisedAt: ts,
    };
    const t = this.now();
    const { groupWindowS } = this.settings();
    const sameOpen = [...this.incidents.values()].find(
      (i) =>
        i.state === "open" && i.symptoms.some((s) => s.alarm === alarm.name && s.clearedAt === undefined),
    );
    if (sameOpen) return; // still raised: nothing new
    const related = [...this.incidents.values()].find(
      (i) =>
        i.state === "open" &&
        t - Date.parse(i.openedAt) <= groupWindowS * 1000 &&
        i.symptoms.some((s) => this.topology.related(s.subject, subject)),
    );
    const reopen =
      related === undefined
        ? [...this.incidents.values()].find(
            (i) =>
              i.state === "resolved" &&
              i.runId === runId &&
              t - Date.parse(i.resolvedAt!) <= groupWindowS * 1000 &&
              i.symptoms.some((s) => s.alarm === alarm.name),
          )
        : undefined;
    const existing = related ?? reopen;
    const incident = existing ?? this.create(symptom, runId, ts);
    if (reopen) {
      reopen.state = "open";
      reopen.resolvedAt = undefined;
      reopen.ttrS = undefined;
      this.note(reopen, `reopened: ${alarm.name} raised again`, ts);
    }
    if (existing) {
      incident.symptoms.push(symptom);
      this.note(incident, `${alarm.name} raised: ${alarm.message}`, ts);
    }
    if (reopen) {
      // Back after a runbook recovered it: automation has had its go, a person is needed.
      // Otherwise it is decided again (its runbook, a page or a ticket).
      const recovered = reopen.runbooks.find((r) => r.outcome === "recovered");
      if (recovered && !reopen.quiet)
        this.page(reopen, `${alarm.name} again after runbook ${recovered.runbook} recovered it`);
      else if (!recovered) reopen.decided = false;
    }
    this.updateCause(incident);
    if (symptom.severity === "page" && !incident.paged)
      this.page(incident, `${alarm.name}: ${alarm.message}`);
    this.hooks.emit(plain(incident));
  }

  private create(symptom: Symptom, runId: string | undefined, ts: string): Tracked {
    const id = `${compactStamp(ts)}-${++this.counter}`;
    const quiet = this.hooks.quiet();
    const incident: Tracked = {
      ts,
      id,
      state: "open",
      ...(runId ? { runId } : {}),
      openedAt: ts,
      cause: { alarm: symptom.alarm, subject: symptom.subject, message: symptom.message },
      symptoms: [symptom],
      timeline: [{ ts, what: `opened by ${symptom.alarm}: ${symptom.message}` }],
      runbooks: [],
      ...(quiet ? { quiet } : {}),
      decided: false,
      runbookRunning: false,
    };
    this.incidents.set(id, incident);
    return incident;
  }

  private updateCause(i: Tracked): void {
    const top = i.symptoms.find(
      (s) => !i.symptoms.some((o) => o !== s && this.topology.upstream(o.subject, s.subject)),
    );
    if (!top || top.alarm === i.cause.alarm) return;
    const deviceType = this.topology.deviceTypes.get(top.subject);
    i.cause = {
      alarm: top.alarm,
      subject: top.subject,
      ...(deviceType ? { deviceType } : {}),
      message: top.message,
    };
    this.note(i, `probable cause: ${top.alarm} (${top.subject})`, new Date(this.now()).toISOString());
  }

  /** Once a second: decides what settled incidents need, forgets old resolved ones. */
  tick(keepResolvedS: number, forget: (id: string) => void): void {
    const t = this.now();
    for (const i of this.incidents.values()) {
      if (i.state === "resolved") {
        if (t - Date.parse(i.resolvedAt!) > keepResolvedS * 1000) {
          this.incidents.delete(i.id);
          forget(i.id);
        }
        continue;
      }
      if (i.decided || t - Date.parse(i.openedAt) < this.settings().settleS * 1000) continue;
      i.decided = true;
      const runbook = this.hooks.startRunbook(plain(i));
      if (runbook) {
        i.runbookRunning = true;
        this.note(i, `runbook ${runbook} started`, new Date(t).toISOString());
      } else if (
        !i.paged &&
        !i.quiet &&
        i.symptoms.some((s) => s.severity === "critical" || s.severity === "page")
      )
        this.page(i, `${i.cause.alarm}: ${i.cause.message} (no runbook for it)`);
      else if (!i.paged) this.ticket(i);
      this.hooks.emit(plain(i));
    }
  }

  /** A runbook's progress (each step) and end. */
  runbookProgress(id: string, run: RunbookRun, ended: boolean): void {
    const i = this.incidents.get(id);
    if (!i) return;
    const at = i.runbooks.findIndex((r) => r.startedAt === run.startedAt && r.runbook === run.runbook);
    if (at >= 0) i.runbooks[at] = structuredClone(run);
    else i.runbooks.push(structuredClone(run));
    if (ended) {
      i.runbookRunning = false;
      const ts = run.endedAt ?? new Date(this.now()).toISOString();
      this.note(i, `runbook ${run.runbook} ${run.outcome}`, ts);
      if (run.outcome === "failed" || run.outcome === "refused") {
        const last = run.steps.at(-1);
        const why = `runbook ${run.runbook} ${run.outcome} at "${last?.step}": ${last?.detail ?? ""}`;
        if (!i.quiet) this.page(i, why);
        else this.ticket(i);
      }
      this.maybeResolve(i);
    }
    this.hooks.emit(plain(i));
  }

  acknowledge(id: string, by: string): IncidentPayload | undefined {
    const i = this.incidents.get(id);
    if (!i) return undefined;
    const ts = new Date(this.now()).toISOString();
    i.acknowledged = { by, ts };
    this.note(i, `acknowledged by ${by}`, ts);
    this.hooks.emit(plain(i));
    return plain(i);
  }

  private maybeResolve(i: Tracked): void {
    if (i.state !== "open" || i.runbookRunning || i.symptoms.some((s) => s.clearedAt === undefined)) return;
    const ts = new Date(this.now()).toISOString();
    i.state = "resolved";
    i.resolvedAt = ts;
    i.ttrS = Math.round((Date.parse(ts) - Date.parse(i.openedAt)) / 100) / 10;
    this.note(i, `resolved: every symptom cleared after ${i.ttrS} s`, ts);
    if (i.paged || i.ticketed) this.hooks.notify("resolved", plain(i), `resolved after ${i.ttrS} s`);
  }

  private page(i: Tracked, reason: string): void {
    if (i.paged) return;
    const ts = new Date(this.now()).toISOString();
    i.paged = { ts, reason };
    this.note(i, `paged: ${reason}`, ts);
    this.hooks.notify("page", plain(i), reason);
  }

  private ticket(i: Tracked): void {
    if (i.ticketed || i.paged) return;
    const ts = new Date(this.now()).toISOString();
    i.ticketed = { ts };
    this.note(i, "ticket filed", ts);
    this.hooks.notify("ticket", plain(i), `${i.cause.alarm}: ${i.cause.message}`);
  }

  private note(i: Tracked, what: string, ts: string): void {
    i.ts = ts;
    i.timeline.push({ ts, what });
  }
}

function plain(i: Tracked | IncidentPayload): IncidentPayload {
  const { decided: _d, runbookRunning: _r, ...rest } = i as Tracked;
  return structuredClone(rest);
}
