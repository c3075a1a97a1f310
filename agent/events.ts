/**
 * The agent's typed event bus: services emit what they learn (a telemetry reading, a measurement,
 * an alarm, a tag chunk), and whoever needs it subscribes — the MQTT publisher is one subscriber,
 * and later ones (Sparkplug, metrics, a web view) are others; no service knows who listens.
 *
 * Delivery is synchronous and in order. A listener that throws is logged and counted and the
 * others still run: an emitter (the interlock tick) never fails because a subscriber did.
 */

import type { HalError } from "../hal/errors.js";
import type { TelemetryValues, TimeTagChunk } from "../hal/interfaces.js";
import type { Logger } from "../hal/logger.js";
import type { AlignmentState } from "./alignment/types.js";
import type { GameDayScore } from "./operations/game-day.js";
import type { IncidentPayload, NotificationPayload, RunPayload, SliPayload } from "./operations/types.js";

export interface StatusPayload {
  state: "online" | "offline";
  benchId: string;
  ts: string;
  /** Why the agent went offline: "shutdown" on a clean stop; the will says "connection lost". */
  reason?: string;
  version?: string;
  /** Where the agent runs: one agent per bench (agent/mqtt/bench-claim.ts). */
  host?: string;
  pid?: number;
  /** When that agent started (ISO 8601): of two on one bench, the later took it over. */
  startedAt?: string;
  /** The simulated or the real bench. */
  backend?: string;
  /** The last update of this installation (systemd/install.sh): done, or rolled back and why. */
  lastUpdate?: { result: "updated" | "rolled-back"; from?: string; to: string; ts: string; reason?: string };
}

export type DeviceFault = ReturnType<HalError["toJSON"]> | { error: string; message: string };

export type TelemetryPayload = {
  ts: string;
  seq: number;
  device: string;
  type: string;
} & (
  | { state: "ok"; values: TelemetryValues }
  | { state: "faulted"; fault: DeviceFault; faultedSince: string; nextRetryInS: number }
);

export interface AlarmPayload {
  ts: string;
  name: string;
  active: boolean;
  severity: "critical" | "warning";
  message: string;
  since?: string;
  /** Set by `alarm/ack` while the alarm stays active. */
  acknowledged?: { by: string; ts: string };
}

export interface MeasurementEvent {
  ts: string;
  /** `rates`, or a histogram's name. */
  name: string;
  /** The tagger it was measured on. */
  source: string;
  [field: string]: unknown;
}

/** The aligner's state as published: the signal under its unit's name, `signalMw` or `signalCps`. */
export type AlignmentEvent = { ts: string } & Omit<AlignmentState, "signal" | "signalUnit"> & {
    signalMw?: number;
    signalCps?: number;
  };

/** One reading of the coupling signal where the aligner took it: the web view's scan map and trail. */
export interface AlignmentSampleEvent {
  mode: AlignmentState["mode"];
  positionUm: AlignmentState["positionUm"];
  signal: number;
  signalUnit: AlignmentState["signalUnit"];
}

export function alignmentEvent(state: AlignmentState, ts = new Date().toISOString()): AlignmentEvent {
  const { signal, signalUnit, ...rest } = state;
  return { ts, ...rest, [signalUnit === "mW" ? "signalMw" : "signalCps"]: signal };
}

/** One request to the control plane and what became of it (never a secret). */
export interface AuditEvent {
  ts: string;
  verb: string;
  transaction: string | undefined;
  /** Who asked: the transport and, where the broker tells, the client. */
  via: string;
  status: "ok" | "error";
  code?: string;
  message?: string;
  /** The request's data, secrets redacted. */
  request?: unknown;
}

/** The effective configuration, as the retained `config` topic carries it. */
export interface ConfigEvent {
  ts: string;
  version: number;
  hash: string;
  config: unknown;
}

export interface AgentEvents {
  incident: IncidentPayload;
  notification: NotificationPayload;
  sli: SliPayload;
  run: RunPayload;
  gameday: GameDayScore;
  telemetry: TelemetryPayload;
  measurement: MeasurementEvent;
  alarm: AlarmPayload;
  alignment: AlignmentEvent;
  /** Every signal reading of the aligner (tens a second): not published on MQTT. */
  alignmentSample: AlignmentSampleEvent;
  /** Time tags as they arrive, by source (a tagger device). */
  tags: { source: string; chunk: TimeTagChunk };
  status: StatusPayload;
  audit: AuditEvent;
  config: ConfigEvent;
}

export type EventName = keyof AgentEvents;
type Listener<E extends EventName> = (event: AgentEvents[E]) => void;
type Enricher<E extends EventName> = (event: AgentEvents[E]) => AgentEvents[E];

export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<never>>>();
  private readonly enrichers = new Map<EventName, Enricher<never>>();
  private listenerErrors = 0;

  /**
   * One function that adds to every event of a kind before any listener sees it (the run id on
   * measurements and alarms). At most one per kind; returns the undo.
   */
  enrich<E extends EventName>(name: E, enricher: Enricher<E>): () => void {
    if (this.enrichers.has(name)) throw new Error(`${name} events already have an enricher`);
    this.enrichers.set(name, enricher as unknown as Enricher<never>);
    return () => this.enrichers.delete(name);
  }

  constructor(private readonly logger: Logger) {}

  on<E extends EventName>(name: E, listener: Listener<E>): () => void {
    const set = this.listeners.get(name) ?? new Set<Listener<never>>();
    this.listeners.set(name, set);
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<E extends EventName>(name: E, given: AgentEvents[E]): void {
    const set = this.listeners.get(name) as Set<Listener<E>> | undefined;
    if (!set) return;
    const enricher = this.enrichers.get(name) as unknown as Enricher<E> | undefined;
    let event = given;
    try {
      if (enricher) event = enricher(given);
    } catch (err) {
      this.listenerErrors++;
      this.logger.error({ event: name, err: (err as Error).message }, "an event enricher failed");
    }
    for (const listener of set) {
      try {
        listener(event);
      } catch (err) {
        this.listenerErrors++;
        this.logger.error({ event: name, err: (err as Error).message }, "an event listener failed");
      }
    }
  }

  health(): TelemetryValues {
    return { eventListenerErrors: this.listenerErrors };
  }
}
