/**
 * The agent's MQTT side as a service: one subscriber of the event bus that puts each event on
 * its topic (./topics.ts), the retained online/offline status (offline is the will), and the
 * connection the control plane subscribes through. Starting only begins connecting — nothing
 * waits for the broker, so the bench is made safe first whatever the network does; messages
 * wait in the durable outbox (./outbox.ts) until the broker has them. It stops after the bench
 * is safe (it starts before the devices), publishing `offline` last.
 *
 * Taken over: the agent watches its bench's status. A status from another agent (another host
 * or pid) that started later means someone ran `--takeover`: this one stands down (onTakenOver)
 * without publishing `offline` — the status is the other's now.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import type { MqttConfig } from "../../config/schema.js";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus, StatusPayload } from "../events.js";
import { readLastUpdate } from "../lifecycle/last-update.js";
import type { Service } from "../service.js";
import { roundReadings } from "../units.js";
import { AGENT_VERSION } from "../version.js";
import { claimBench } from "./bench-claim.js";
import type { OutgoingMessage } from "./connection.js";
import { brokerCredentials } from "./credentials.js";
import { DurableOutbox } from "./outbox.js";
import { MqttPublisher } from "./publisher.js";
import type { MessageHandler } from "./subscriptions.js";
import { Topics } from "./topics.js";

export interface MqttServiceDeps {
  settings: MqttConfig;
  benchId: string;
  /** The broker's URL (the embedded broker's is known only once it listens). */
  brokerUrl: () => string;
  bus: EventBus;
  /** The bus back ends in use, for the online status ("sim", "hardware"). */
  backend: () => string;
  /** Start even if another agent's status says it runs this bench. */
  takeover?: boolean;
  /** The outbox's journal lives in `<stateDir>/outbox`. */
  stateDir: string;
  /** When this agent started (ISO): of two agents on one bench, the later one keeps it. */
  startedAt: string;
  /** Another agent took the bench over (`--takeover`): stand down. */
  onTakenOver?: (other: StatusPayload) => void;
  logger: Logger;
}

export class MqttService implements Service {
  readonly name = "mqtt";
  readonly topics: Topics;
  private publisher: MqttPublisher | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private stopReason = "shutdown";
  private takenOverBy: StatusPayload | undefined;

  constructor(private readonly deps: MqttServiceDeps) {
    this.topics = new Topics(deps.settings.baseTopic, deps.benchId);
  }

  get url(): string {
    return this.deps.brokerUrl();
  }

  /** What the update script last did (systemd/install.sh writes `<state-dir>/update.json`). */
  private lastUpdate: StatusPayload["lastUpdate"];

  async start(): Promise<void> {
    const { settings, bus, logger } = this.deps;
    this.lastUpdate = readLastUpdate(this.deps.stateDir, logger);
    const credentials = brokerCredentials(settings);
    if (!this.deps.takeover)
      await claimBench(
        this.url,
        {
          ...(credentials.username !== undefined ? { username: credentials.username } : {}),
          ...(credentials.password !== undefined ? { password: credentials.password } : {}),
          ...(credentials.tls ?? {}),
        },
        this.topics.status(),
        this.topics.root,
        logger,
      );
    const outbox = new DurableOutbox(
      { dir: join(this.deps.stateDir, "outbox"), ...settings.outbox },
      logger,
      () => this.publisher?.pump(),
      (fault) => this.diskAlarm(fault),
    );
    await outbox.open();
    const publisher = new MqttPublisher(
      {
        url: this.url,
        clientId: settings.clientId ?? `photon-bench-${this.deps.benchId}`,
        ...credentials,
        protocolVersion: settings.protocolVersion,
        keepaliveS: settings.keepaliveS,
        reconnect: settings.reconnect,
        sessionExpiryS: settings.sessionExpiryS,
        outbox,
        will: this.status(this.statusPayload("offline", "connection lost")),
        birth: () => {
          const online = this.statusPayload("online");
          this.deps.bus.emit("status", online);
          return [this.status(online)];
        },
        onConnectionChange: (connected) => this.connectionAlarm(connected),
      },
      logger,
    );
    this.publisher = publisher;
    const t = this.topics;
    const on = bus.on.bind(bus);
    const durable = publisher.publishDurable.bind(publisher);
    this.unsubscribe.push(
      // Readings rounded to their units' resolution (../units.ts); the latest measurement and
      // alignment retained, so a new subscriber sees them at once.
      on("telemetry", (p) =>
        durable(
          "telemetry",
          t.telemetry(p.device),
          p.state === "ok" ? { ...p, values: roundReadings(p.values) } : p,
        ),
      ),
      on("measurement", (m) => durable("measurement", t.measurement(m.name), m, { retain: true })),
      on("alarm", (a) => durable("alarm", t.alarm(a.name), a, { retain: true })),
      on("alignment", (a) => durable("alignment", t.alignment(), roundReadings(a), { retain: true })),
      on("audit", (a) => durable("audit", t.event("audit"), a)),
      on("config", (c) => durable("config", t.config(), c, { retain: true })),
      on("incident", (i) => durable("incident", t.incident(i.id), i, { retain: true })),
      on("notification", (n) => durable("notification", t.event("notification"), n)),
      on("sli", (v) => durable("sli", t.sli(v.name), v, { retain: true })),
      on("run", (r) => durable("run", t.run(), r, { retain: true })),
      on("gameday", (g) => durable("gameday", t.gameday(), g, { retain: true })),
    );
    await publisher.subscribe(t.status(), (message) => this.watchStatus(message.payload));
    void publisher.start(0);
  }

  /** A later agent's status on our bench: it took over. */
  private watchStatus(payload: Buffer): void {
    if (this.takenOverBy) return;
    let status: StatusPayload;
    try {
      status = JSON.parse(payload.toString()) as StatusPayload;
    } catch {
      return;
    }
    const other = status.host !== undefined && (status.host !== hostname() || status.pid !== process.pid);
    if (!other || typeof status.startedAt !== "string" || status.startedAt <= this.deps.startedAt) return;
    this.takenOverBy = status;
    this.deps.logger.error(
      { host: status.host, pid: status.pid, startedAt: status.startedAt },
      "another agent took this bench over (--takeover): standing down",
    );
    this.deps.onTakenOver?.(status);
  }

  private lostAt: Date | undefined;

  /** `broker-connection`: journaled while the broker is away, so subscribers learn when it was. */
  private connectionAlarm(connected: boolean): void {
    const now = new Date();
    if (!connected) this.lostAt = now;
    const since = this.lostAt ?? now;
    // What subscribers see on `status` (the broker's will), for the bus's listeners; online is the birth.
    if (!connected) this.deps.bus.emit("status", this.statusPayload("offline", "connection lost"));
    this.deps.bus.emit("alarm", {
      ts: now.toISOString(),
      name: "broker-connection",
      active: !connected,
      severity: "warning",
      since: since.toISOString(),
      message: connected
        ? `connected to the broker again after ${((now.getTime() - since.getTime()) / 1000).toFixed(1)} s; the outbox sends what waited`
        : "connection to the broker lost; messages wait in the outbox",
    });
  }

  private diskAlarm(fault: string | undefined): void {
    this.deps.bus.emit("alarm", {
      ts: new Date().toISOString(),
      name: "outbox-disk",
      active: fault !== undefined,
      severity: "warning",
      message:
        fault === undefined
          ? "the outbox writes to the state directory again"
          : `the outbox cannot write to the state directory (${fault}): messages are held in memory only`,
    });
  }

  /** Why the agent goes offline, for the last status it publishes. */
  setStopReason(reason: string): void {
    this.stopReason = reason;
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.publisher?.stop(
      this.takenOverBy ? undefined : this.status(this.statusPayload("offline", this.stopReason)),
    );
  }

  /** Subscribes through the agent's connection (again after each reconnect); resolves once the broker has it. */
  async subscribe(filter: string, handler: MessageHandler, qos: 0 | 1 = 1): Promise<void> {
    await this.publisher?.subscribe(filter, handler, qos);
  }

  /**
   * The last service: `online` is published once every service has started (devices built,
   * requests subscribed), so whoever sees it may send commands.
   */
  readonly announcer: Service = {
    name: "online status",
    start: async () => this.publisher?.announce(),
    stop: async () => {},
  };

  /** Publishes one message (a response), through the outbox when the broker is away. */
  send(message: OutgoingMessage): void {
    this.publisher?.send(message);
  }

  get connected(): boolean {
    return this.publisher?.connected ?? false;
  }

  /** True once connected; false if `timeoutMs` passes first. */
  async connectedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!this.connected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return this.connected;
  }

  health(): TelemetryValues {
    const s = this.publisher?.getStats();
    const o = this.publisher?.outboxStats();
    return s && o
      ? {
          mqttConnects: s.connects,
          mqttQueued: s.queued,
          mqttDropped: s.dropped,
          mqttPublishAckP99Ms: s.publishAckP99Ms,
          outboxPendingMessages: o.pendingMessages,
          outboxPendingBytes: o.pendingBytes,
          outboxBytesWritten: o.bytesWritten,
          outboxFsyncs: o.fsyncs,
          outboxSummarised: o.summarised,
          outboxDropped: o.dropped,
          outboxCorruptRecords: o.corruptRecords,
          outboxDegraded: o.degraded,
        }
      : {};
  }

  private status(payload: StatusPayload): OutgoingMessage {
    return { topic: this.topics.status(), retain: true, payload: JSON.stringify(payload) };
  }

  private statusPayload(state: StatusPayload["state"], reason?: string): StatusPayload {
    return {
      state,
      benchId: this.deps.benchId,
      ts: new Date().toISOString(),
      ...(reason ? { reason } : {}),
      host: hostname(),
      pid: process.pid,
      startedAt: this.deps.startedAt,
      ...(state === "online" ? { version: AGENT_VERSION, backend: this.deps.backend() } : {}),
      ...(state === "online" && this.lastUpdate ? { lastUpdate: this.lastUpdate } : {}),
    };
  }
}
