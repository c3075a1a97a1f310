/**
 * Operations on the bench (config/operations.ts): once a second it advances warm-up, counts the
 * availability SLI's second into the SLO ledger, evaluates the alert rules and lets settled
 * incidents decide (page, ticket or runbook); every `SLI_EVERY_S` it publishes the SLIs. Alarms
 * become incidents (./incidents.ts); a cause with a trigger runs its runbook (one at a time per
 * bench) through the control plane. State that must survive a restart — the SLO ledger, the
 * incidents and MTTRs, the run — lives under `<state-dir>/operations/`.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { BenchConfig } from "../../config/schema.js";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { Response } from "../control/protocol.js";
import type { AuditEvent, EventBus } from "../events.js";
import type { PreparedChange, Service } from "../service.js";
import { BackgroundFile, readStateFileSync } from "../state-files.js";
import { AlertRules } from "./alert-rules.js";
import { IncidentBook } from "./incidents.js";
import { MetricView } from "./metric-view.js";
import { MTTR_WINDOW_DAYS, mttr, QualityTracker } from "./quality.js";
import { RunbookDesk } from "./runbook-desk.js";
import type { RunbookRun } from "./runbook-runner.js";
import { type SloFigures, SloLedger } from "./slo-ledger.js";
import { Topology } from "./topology.js";
import type { IncidentPayload, NotificationPayload } from "./types.js";
import { WebhookNotifier } from "./webhook.js";
import { BenchWindows } from "./windows.js";

const SLI_EVERY_S = 10;
const SAVE_EVERY_S = 60;

export interface OperationsDeps {
  config: BenchConfig;
  current: () => BenchConfig;
  bus: EventBus;
  stateDir: string;
  request: (verb: string, payload: Buffer, via: string) => Promise<Response>;
  /** Writes an audit line (file and event/audit): each runbook step's outcome and timing. */
  audit?: (entry: AuditEvent) => void;
  runId: () => string | undefined;
  /** Clears a retained topic on the broker (a resolved incident, once forgotten). */
  clearRetained: (topic: string) => void;
  incidentTopic: (id: string) => string;
  logger: Logger;
  /** Runbook `wait` polling, ms (tests make it quicker). */
  pollMs?: number;
}

export class OperationsService implements Service {
  readonly name = "operations";
  readonly view: MetricView;
  readonly windows: BenchWindows;
  private readonly ledger: SloLedger;
  private readonly alerts: AlertRules;
  readonly incidents: IncidentBook;
  private readonly quality = new QualityTracker();
  private readonly webhook: WebhookNotifier | undefined;
  private readonly saved: BackgroundFile;
  private readonly resolved: Array<{ resolvedAtMs: number; ttrS: number }> = [];
  private readonly resolvedIds = new Set<string>();
  private readonly desk: RunbookDesk;
  private readonly offs: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private lastRunId: string | undefined;
  private readonly counts = { incidentsOpened: 0, pages: 0, tickets: 0 };
  /** This second's usable emission (null in warm-up or maintenance) and SLO figures, from tick(). */
  private usableNow: boolean | null = null;
  private sloFigures: Record<string, SloFigures> = {};

  constructor(private readonly deps: OperationsDeps) {
    const dir = join(deps.stateDir, "operations");
    mkdirSync(dir, { recursive: true });
    const settings = () => deps.current().operations;
    this.view = new MetricView(deps.bus);
    this.windows = new BenchWindows(settings, this.view);
    this.ledger = new SloLedger(join(dir, "slo.json"), deps.logger);
    this.alerts = new AlertRules(
      () => settings().alerts,
      this.view,
      (a) => deps.bus.emit("alarm", a),
    );
    this.incidents = new IncidentBook(new Topology(deps.config), () => settings().incidents, {
      emit: (i) => this.onIncident(i),
      notify: (kind, i, text) => this.notify(kind, i, text),
      startRunbook: (i) => this.startRunbook(i),
      quiet: () => this.windows.quiet(),
      alertSeverity: (a) => this.alerts.severityOf(a),
    });
    this.desk = new RunbookDesk({
      request: deps.request,
      ...(deps.audit ? { audit: deps.audit } : {}),
      view: this.view,
      logger: deps.logger,
      ...(deps.pollMs ? { pollMs: deps.pollMs } : {}),
      progress: (id, run, ended) => this.incidents.runbookProgress(id, run, ended),
    });
    const w = deps.config.operations.webhook;
    this.webhook =
      w.enabled && w.url
        ? new WebhookNotifier({ url: w.url, retries: w.retries, timeoutMs: w.timeoutMs }, deps.logger)
        : undefined;
    this.saved = new BackgroundFile(join(dir, "incidents.json"), "the incidents", deps.logger);
    this.restoreIncidents(join(dir, "incidents.json"));
    // From construction on: the alarms raised while the rest starts (a latch from before a
    // restart, a device that does not answer) open incidents too; they are decided once started.
    this.offs.push(deps.bus.on("alarm", (a) => this.incidents.onAlarm(a, deps.runId())));
  }

  async start(): Promise<void> {
    const s = this.deps.config.operations;
    await this.desk.load(
      s.runbooks.dir,
      s.runbooks.triggers.map((t) => t.runbook),
    );
    await this.ledger.loaded;
    const bus = this.deps.bus;
    const laser = s.backgroundLaser;
    this.offs.push(
      bus.on("measurement", (m) => {
        const on = laser === undefined ? true : this.view.value(`telemetry/${laser}/emission`);
        this.quality.onMeasurement(m, typeof on === "boolean" ? on : undefined);
      }),
    );
    for (const i of this.incidents.open()) bus.emit("incident", i);
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const off of this.offs.splice(0)) off();
    await this.desk.stop();
    this.ledger.save(Date.now());
    this.saveIncidents();
    this.view.close();
    await Promise.all([this.ledger.flushed(), this.saved.flushed(), this.webhook?.close()]);
  }

  /** Rules, windows, SLOs and incident settings are read from the configuration in force each second. */
  prepare(): PreparedChange {
    const keys = ["warmUp", "maintenance", "usable", "couplingEfficiency", "slos", "alerts", "incidents"];
    return { paths: keys.map((k) => `operations.${k}`), commit: () => {}, abort: () => {} };
  }

  health(): TelemetryValues {
    return {
      ...this.counts,
      ...this.desk.counts,
      alertsSuppressed: this.alerts.suppressed,
      incidentsOpen: this.incidents.open().length,
      /** warm-up, maintenance or none: whether alerts and availability count now. */
      benchQuiet: this.windows.quiet()?.kind ?? "none",
      ...(this.webhook?.counts ?? {}),
    };
  }

  /** Starts a runbook by name (a command, or an incident's trigger); refuses while one runs. */
  runRunbook(name: string, trigger: string, incident?: string): RunbookRun | string {
    return this.desk.run(name, trigger, incident);
  }

  runbookNames(): string[] {
    return this.desk.names();
  }

  private startRunbook(i: IncidentPayload): string | undefined {
    const trigger = this.deps
      .current()
      .operations.runbooks.triggers.find((t) =>
        t.cause.endsWith("*") ? i.cause.alarm.startsWith(t.cause.slice(0, -1)) : i.cause.alarm === t.cause,
      );
    if (!trigger) return undefined;
    const started = this.runRunbook(trigger.runbook, `incident ${i.id} (${i.cause.alarm})`, i.id);
    if (typeof started === "string") {
      this.deps.logger.warn({ incident: i.id, why: started }, "runbook not started");
      return undefined;
    }
    return trigger.runbook;
  }

  private tick(): void {
    const now = Date.now();
    const s = this.deps.current().operations;
    const lasers = new Map<string, boolean>();
    for (const [name, d] of Object.entries(this.deps.current().devices))
      if (d.type === "obis-laser") {
        const on = this.view.value(`telemetry/${name}/emission`);
        if (typeof on === "boolean") lasers.set(name, on);
      }
    this.windows.update(lasers);
    const quiet = this.windows.quiet();
    this.usableNow = quiet ? null : s.usable.every((c) => this.view.holds(c) === true);
    if (s.usable.length > 0) this.ledger.record(now, this.usableNow ?? undefined);
    this.sloFigures = Object.fromEntries(
      s.slos.map((slo) => [slo.name, this.ledger.figures(now, slo.target, slo.windowDays)]),
    );
    for (const [name, figures] of Object.entries(this.sloFigures))
      this.view.setOwn("slo", name, { ...figures });
    this.alerts.evaluate(now, quiet !== undefined);
    this.incidents.tick(s.incidents.keepResolvedS, (id) => {
      this.deps.clearRetained(this.deps.incidentTopic(id));
      this.saveIncidents();
    });
    const runId = this.deps.runId();
    if (runId !== this.lastRunId) this.quality.newRun();
    this.lastRunId = runId;
    this.ticks++;
    if (this.ticks % SLI_EVERY_S === 0) this.publishSlis(now);
    if (this.ticks % SAVE_EVERY_S === 0) this.ledger.save(now);
  }

  private publishSlis(now: number): void {
    const s = this.deps.current().operations;
    const ts = new Date(now).toISOString();
    const runId = this.deps.runId();
    const emit = (name: string, values: Record<string, unknown>) => {
      this.view.setOwn("sli", name, values);
      this.deps.bus.emit("sli", { ts, name, ...(runId ? { runId } : {}), ...values });
    };
    if (s.usable.length > 0) {
      // The headline is the first SLO's window (30 days without one); its SLI does not depend on the target.
      const first = s.slos[0];
      const availability = first ? this.sloFigures[first.name]?.sli : this.ledger.figures(now, 0.99, 30).sli;
      emit("availability", {
        usable: this.usableNow,
        quiet: this.windows.quiet() ?? null,
        availability: availability ?? null,
        slos: this.sloFigures,
      });
    }
    emit("quality", this.quality.quality());
    emit("background", this.quality.background());
    emit("mttr", mttr(this.resolved, now));
    const c = s.couplingEfficiency;
    if (c) {
      const coupled = this.view.value(c.coupled);
      const pickoff = this.view.value(c.pickoff);
      if (typeof coupled === "number" && typeof pickoff === "number" && pickoff > 0)
        emit("coupling", { efficiency: (coupled / pickoff) * c.calibration, coupled, pickoff });
    }
  }

  private onIncident(i: IncidentPayload): void {
    if (i.state === "resolved" && i.ttrS !== undefined && i.resolvedAt && !this.resolvedIds.has(i.id)) {
      this.resolvedIds.add(i.id);
      this.resolved.push({ resolvedAtMs: Date.parse(i.resolvedAt), ttrS: i.ttrS });
      // MTTR looks back MTTR_WINDOW_DAYS: older recoveries are dropped, so the list stays bounded.
      const since = Date.now() - MTTR_WINDOW_DAYS * 86_400_000;
      while (this.resolved.length > 0 && this.resolved[0]!.resolvedAtMs < since) this.resolved.shift();
      this.publishSlis(Date.now());
    }
    if (i.timeline.length === 1) this.counts.incidentsOpened++;
    this.deps.bus.emit("incident", i);
    this.saveIncidents();
  }

  private notify(kind: NotificationPayload["kind"], i: IncidentPayload, text: string): void {
    if (kind === "page") this.counts.pages++;
    if (kind === "ticket") this.counts.tickets++;
    const note: NotificationPayload = {
      ts: new Date().toISOString(),
      kind,
      benchId: this.deps.config.benchId,
      incident: i.id,
      title: `${this.deps.config.benchId}: ${kind} — ${i.cause.alarm}`,
      text,
    };
    this.deps.logger[kind === "page" ? "error" : "warn"]({ incident: i.id, kind, text }, "notification");
    this.deps.bus.emit("notification", note);
    if (this.webhook && (kind !== "ticket" || this.deps.config.operations.webhook.tickets))
      this.webhook.send(note);
  }

  private saveIncidents(): void {
    this.saved.save(
      `${JSON.stringify({ version: 1, incidents: this.incidents.all(), resolved: this.resolved })}\n`,
    );
  }

  private restoreIncidents(path: string): void {
    const saved = readStateFileSync(
      path,
      (doc) =>
        doc as { incidents?: IncidentPayload[]; resolved?: Array<{ resolvedAtMs: number; ttrS: number }> },
      this.deps.logger,
      "the incidents file is unreadable: starting afresh",
    );
    if (Array.isArray(saved?.incidents)) this.incidents.restore(saved.incidents);
    if (Array.isArray(saved?.resolved))
      for (const r of saved.resolved)
        if (Number.isFinite(r.resolvedAtMs) && Number.isFinite(r.ttrS)) this.resolved.push(r);
    for (const i of this.incidents.all()) if (i.state === "resolved") this.resolvedIds.add(i.id);
  }
}
