/**
 * The agent's MQTT side as a service: one subscriber of the event bus that puts each event on
 * its topic (./topics.ts), the retained online/offline status (offline is the will), and the
 * connection the control plane subscribes through. Starting only begins connecting — nothing
 * waits for the broker, so the bench is made safe first whatever the network does; messages
 * wait in the outbox until the connection is up. It stops after the bench is safe (it starts
 * before the devices), publishing `offline` last.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { MqttConfig } from "../../config/schema.js";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus, StatusPayload } from "../events.js";
import type { Service } from "../service.js";
import { AGENT_VERSION } from "../version.js";
import { claimBench } from "./bench-claim.js";
import { type MessageHandler, MqttPublisher, type OutgoingMessage } from "./publisher.js";
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
  logger: Logger;
}

/** Reads a secret or a certificate; a missing file stops the start with its path (never its content). */
export function readSecretFile(what: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The agent's login and TLS material: the embedded broker's own login when it has one. */
function brokerCredentials(settings: MqttConfig) {
  const embedded = settings.broker === "embedded" ? settings.embedded : undefined;
  const username = embedded?.username ?? settings.username;
  const passwordFile = embedded?.passwordFile ?? settings.passwordFile;
  const password = passwordFile
    ? readSecretFile("mqtt password file", passwordFile).split("\n")[0]!.trim()
    : settings.password;
  const t = settings.tls;
  const tls = t && {
    rejectUnauthorized: t.rejectUnauthorized,
    ...(t.caFile ? { ca: readSecretFile("mqtt.tls.caFile", t.caFile) } : {}),
    ...(t.certFile ? { cert: readSecretFile("mqtt.tls.certFile", t.certFile) } : {}),
    ...(t.keyFile ? { key: readSecretFile("mqtt.tls.keyFile", t.keyFile) } : {}),
  };
  return { username, password, tls };
}

export class MqttService implements Service {
  readonly name = "mqtt";
  readonly topics: Topics;
  private publisher: MqttPublisher | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private stopReason = "shutdown";

  constructor(private readonly deps: MqttServiceDeps) {
    this.topics = new Topics(deps.settings.baseTopic, deps.benchId);
  }

  get url(): string {
    return this.deps.brokerUrl();
  }

  async start(): Promise<void> {
    const { settings, bus, logger } = this.deps;
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
    const publisher = new MqttPublisher(
      {
        url: this.url,
        clientId: settings.clientId ?? `photon-bench-${this.deps.benchId}`,
        ...credentials,
        protocolVersion: settings.protocolVersion,
        keepaliveS: settings.keepaliveS,
        reconnect: settings.reconnect,
        outboxLimit: settings.outboxLimit,
        will: this.status("offline", "connection lost"),
        birth: () => [this.status("online")],
      },
      logger,
    );
    this.publisher = publisher;
    const t = this.topics;
    const on = bus.on.bind(bus);
    this.unsubscribe.push(
      on("telemetry", (p) => publisher.publish(t.telemetry(p.device), p)),
      on("measurement", (m) => publisher.publish(t.measurement(m.name), m)),
      on("alarm", (a) => publisher.publish(t.alarm(a.name), a, { retain: true })),
      on("alignment", (a) => publisher.publish(t.alignment(), a)),
      on("audit", (a) => publisher.publish(t.event("audit"), a)),
      on("config", (c) => publisher.publish(t.config(), c, { retain: true })),
    );
    void publisher.start(0);
  }

  /** Why the agent goes offline, for the last status it publishes. */
  setStopReason(reason: string): void {
    this.stopReason = reason;
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.publisher?.stop(this.status("offline", this.stopReason));
  }

  /** Subscribes through the agent's connection (again after each reconnect); resolves once the broker has it. */
  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    await this.publisher?.subscribe(filter, handler);
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
    return s ? { mqttConnects: s.connects, mqttQueued: s.queued, mqttDropped: s.dropped } : {};
  }

  private status(state: StatusPayload["state"], reason?: string): OutgoingMessage {
    return {
      topic: this.topics.status(),
      retain: true,
      payload: JSON.stringify({
        state,
        benchId: this.deps.benchId,
        ts: new Date().toISOString(),
        ...(reason ? { reason } : {}),
        ...(state === "online"
          ? { version: AGENT_VERSION, host: hostname(), pid: process.pid, backend: this.deps.backend() }
          : {}),
      } satisfies StatusPayload),
    };
  }
}
