/**
 * Game day on the simulated bench: inject a fault (`gameday/start`) and time the whole chain —
 * the first alarm, the incident, its runbook, the recovery (the incident resolved) — and whether
 * anyone was paged. The score goes out on `gameday` (retained) when the incident resolves, or
 * after `timeoutS` with what was reached.
 */
import type { EventBus } from "../events.js";
import type { IncidentPayload } from "./types.js";

export interface GameDayScore {
  ts: string;
  fault: string;
  device?: string;
  injectedAt: string;
  state: "running" | "recovered" | "timed-out";
  alarmS?: number;
  alarm?: string;
  incidentS?: number;
  incident?: string;
  runbookS?: number;
  runbook?: string;
  recoveredS?: number;
  paged: boolean;
  runbookOutcome?: string;
}

export class GameDay {
  private score: GameDayScore | undefined;
  private offs: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;

  constructor(private readonly bus: EventBus) {}

  get running(): boolean {
    return this.score?.state === "running";
  }

  start(fault: string, device: string | undefined, inject: () => void, timeoutS: number): GameDayScore {
    this.finish();
    this.t0 = performance.now();
    const score: GameDayScore = {
      ts: new Date().toISOString(),
      fault,
      ...(device ? { device } : {}),
      injectedAt: new Date().toISOString(),
      state: "running",
      paged: false,
    };
    this.score = score;
    const since = () => Math.round(performance.now() - this.t0) / 1000;
    this.offs = [
      this.bus.on("alarm", (a) => {
        if (a.active && score.alarmS === undefined) {
          score.alarmS = since();
          score.alarm = a.name;
        }
      }),
      this.bus.on("incident", (i) => this.onIncident(score, i, since())),
    ];
    this.timer = setTimeout(() => this.finish("timed-out"), timeoutS * 1000);
    this.timer.unref();
    this.publish();
    inject();
    return score;
  }

  private onIncident(score: GameDayScore, i: IncidentPayload, atS: number): void {
    if (score.incident === undefined) {
      if (Date.parse(i.openedAt) < Date.parse(score.injectedAt) - 1000) return;
      score.incident = i.id;
      score.incidentS = atS;
      // The incident opens on the first alarm (its listener may run before this one's).
      score.alarmS ??= atS;
      score.alarm ??= i.symptoms[0]?.alarm;
    }
    if (i.id !== score.incident) return;
    const run = i.runbooks[0];
    if (run && score.runbookS === undefined) {
      score.runbookS = atS;
      score.runbook = run.runbook;
    }
    if (run?.outcome) score.runbookOutcome = run.outcome;
    score.paged = i.paged !== undefined;
    if (i.state === "resolved") {
      score.recoveredS = atS;
      this.finish("recovered");
    }
  }

  private finish(state?: "recovered" | "timed-out"): void {
    clearTimeout(this.timer);
    for (const off of this.offs.splice(0)) off();
    if (this.score?.state === "running" && state) {
      this.score.state = state;
      this.publish();
    }
  }

  private publish(): void {
    if (this.score) this.bus.emit("gameday", { ...this.score, ts: new Date().toISOString() });
  }

  close(): void {
    this.finish("timed-out");
  }
}
