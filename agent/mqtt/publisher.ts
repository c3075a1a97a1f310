/**
 * The agent's one MQTT connection. QoS 1 throughout; the `offline` status is registered as the
 * will; reconnects are ours (exponential backoff with jitter, MQTT.js's fixed-period reconnect
 * off). The session persists (clean start off, a stable client id). Event messages go through
 * the durable outbox (./outbox.ts): handed to the client once on disk, and — if in flight when
 * the connection drops — handed out again first on the next one; responses and the status go
 * straight out, and while the broker is away wait in memory (bounded: beyond
 * VOLATILE_LIMIT the oldest is dropped, logged and counted). `protocolVersion: "auto"` tries
 * MQTT 5 and falls back to 3.1.1 when the broker refuses the version (aedes, older brokers).
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "../../hal/logger.js";
import { Backoff } from "../backoff.js";
import {
  type OutgoingMessage,
  PROTOCOL_REFUSED,
  PUMP_CHUNK,
  type PublisherOptions,
  type PublisherStats,
  STABLE_CONNECTION_MS,
  sendImmediately,
  VOLATILE_LIMIT,
} from "./connection.js";
import { LatencyWindow } from "./latency.js";
import type { MessageKind } from "./outbox-thin.js";
import { type MessageHandler, Subscriptions } from "./subscriptions.js";

export class MqttPublisher {
  private client: MqttClient | undefined;
  private version: 4 | 5;
  private readonly outbox: OutgoingMessage[] = [];
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stats = { connects: 0, published: 0, dropped: 0 };
  private firstConnect: (() => void) | undefined;
  private readonly subscriptions: Subscriptions;
  /** The birth messages go out from announce() on (and again at every reconnect). */
  private announced = false;
  private lostConnection = false;
  /** Connected, subscribed, birth sent: the journal may be pumped (in order). */
  private sessionReady = false;
  private pumpScheduled = false;
  /** Handed to the client → acknowledged by the broker, ms, for event messages. */
  private readonly ackLatency = new LatencyWindow();

  constructor(
    private readonly options: PublisherOptions,
    private readonly logger: Logger,
  ) {
    this.version = options.protocolVersion === 4 ? 4 : 5;
    this.backoff = new Backoff(options.reconnect.initialDelayMs, options.reconnect.maxDelayMs);
    this.subscriptions = new Subscriptions(logger);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  getStats(): PublisherStats {
    return {
      connected: this.connected,
      protocolVersion: this.version,
      queued: this.outbox.length,
      publishAckP99Ms: this.ackLatency.quantile(0.99),
      ...this.stats,
    };
  }

  outboxStats() {
    return this.options.outbox.getStats();
  }

  /** Starts connecting; resolves at the first connection, or after `waitMs` with the agent still trying. */
  start(waitMs = 5000): Promise<void> {
    const connected = new Promise<void>((resolve) => {
      this.firstConnect = resolve;
    });
    this.connect();
    return Promise.race([connected, new Promise<void>((r) => setTimeout(r, waitMs).unref())]);
  }

  private connect(): void {
    const o = this.options;
    const clientOptions: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: this.version,
      keepalive: o.keepaliveS,
      clean: false,
      ...(this.version === 5 ? { properties: { sessionExpiryInterval: o.sessionExpiryS } } : {}),
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: o.will.retain },
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.tls ?? {}),
    };
    const client = mqtt.connect(o.url, clientOptions);
    this.client = client;
    let refusedVersion = false;
    client.on("connect", () => {
      sendImmediately(client);
      // The backoff resets only once the connection has held: a broker that drops us at once
      // (another client with our id, an ACL) must not turn into a reconnect storm.
      clearTimeout(this.stableTimer);
      this.stableTimer = setTimeout(() => this.backoff.reset(), STABLE_CONNECTION_MS);
      this.stableTimer.unref();
      this.stats.connects++;
      this.logger.info({ url: o.url, protocolVersion: this.version }, "connected to the MQTT broker");
      if (this.lostConnection) {
        this.lostConnection = false;
        o.onConnectionChange?.(true);
      }
      // The session may have expired (or the broker restarted without persistence): take the
      // subscriptions again on every connect, and say `online` once the broker has them, so a
      // request sent on seeing `online` is heard.
      void this.subscriptions.takeAll(client).then(() => {
        if (this.client !== client || !client.connected) return;
        if (this.announced) for (const message of o.birth()) this.sendNow(message);
        this.flush();
        this.sessionReady = true;
        this.pump();
        this.firstConnect?.();
        this.firstConnect = undefined;
      });
    });
    client.on("message", (topic, payload, packet) => this.subscriptions.dispatch(topic, payload, packet));
    client.on("error", (err: Error & { code?: number | string }) => {
      if (
        o.protocolVersion === "auto" &&
        this.version === 5 &&
        typeof err.code === "number" &&
        PROTOCOL_REFUSED.has(err.code)
      ) {
        refusedVersion = true;
        this.version = 4;
        this.logger.info({ url: o.url }, "the broker refused MQTT 5; using MQTT 3.1.1");
        return;
      }
      this.logger.warn({ url: o.url, err: err.message, code: err.code }, "MQTT connection error");
    });
    let wasUp = false;
    client.on("connect", () => {
      wasUp = true;
    });
    client.on("close", () => {
      clearTimeout(this.stableTimer);
      // What was in flight goes out again, first, on the next connection: MQTT.js's reconnect
      // starts with an empty store, and nothing newer may overtake it.
      this.sessionReady = false;
      this.options.outbox.rehandUnacknowledged();
      if (this.stopping || this.client !== client) return;
      if (wasUp && !this.lostConnection) {
        this.lostConnection = true;
        o.onConnectionChange?.(false);
      }
      if (refusedVersion) {
        client.end(true);
        this.connect();
        return;
      }
      const delayMs = this.backoff.next();
      this.logger.warn(
        { url: o.url, retryInMs: delayMs, attempt: this.backoff.attempts },
        "MQTT connection lost or refused; retrying",
      );
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        if (!this.stopping && this.client === client) client.reconnect();
      }, delayMs);
    });
  }

  publish(topic: string, payload: object | string, options: { retain?: boolean } = {}): void {
    const message = {
      topic,
      payload: typeof payload === "string" ? payload : JSON.stringify(payload),
      retain: options.retain ?? false,
    };
    this.send(message);
  }

  /** An event message: journaled, given its topic's `seq`, sent once on disk (and again after a restart until acknowledged). */
  publishDurable(kind: MessageKind, topic: string, body: object, options: { retain?: boolean } = {}): void {
    this.options.outbox.append(kind, topic, body, options.retain ?? false);
  }

  /**
   * Hands the journal's ready messages to the client, in order, while connected; at most
   * PUMP_CHUNK a turn of the event loop, so a backlog (an outage's, a batched fsync's) does not
   * hold the loop the interlock tick runs on.
   */
  pump(): void {
    const client = this.client;
    if (!this.sessionReady || !client?.connected) return;
    const outbox = this.options.outbox;
    let handed = 0;
    for (const message of outbox.ready()) {
      if (!client.connected) return;
      if (handed++ === PUMP_CHUNK) {
        this.pumpSoon();
        return;
      }
      message.handed = true;
      const handedAtMs = performance.now();
      client.publish(message.topic, message.payload, { qos: 1, retain: message.retain }, (err) => {
        if (!err) {
          this.ackLatency.record(performance.now() - handedAtMs);
          outbox.acknowledge(message);
          return;
        }
        outbox.unhand(message);
        if (!this.stopping)
          this.logger.warn({ topic: message.topic, err: err.message }, "MQTT publish failed; will resend");
      });
      this.stats.published++;
    }
  }

  private pumpSoon(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Subscribes now and after every reconnect; `filter` may end in `/#`. Resolves once the broker
   * has it (or at once when offline). QoS 0 for requests: the persistent session must not queue
   * commands for an agent that is away and run them hours late.
   */
  async subscribe(filter: string, handler: MessageHandler, qos: 0 | 1 = 1): Promise<void> {
    this.subscriptions.add(filter, handler, qos);
    if (this.client?.connected) await this.subscriptions.take(this.client, filter);
  }

  /** From now on the birth messages (the `online` status) go out: now if connected, and at every connect. */
  announce(): void {
    this.announced = true;
    if (this.connected) for (const message of this.options.birth()) this.sendNow(message);
  }

  /** Publishes one message now or after the reconnect (the outbox), as `publish` does. */
  send(message: OutgoingMessage): void {
    if (this.connected) this.sendNow(message);
    else this.enqueue(message);
  }

  private enqueue(message: OutgoingMessage): void {
    this.outbox.push(message);
    if (this.outbox.length > VOLATILE_LIMIT) {
      const dropped = this.outbox.shift()!;
      this.stats.dropped++;
      if (this.stats.dropped === 1 || this.stats.dropped % 1000 === 0)
        this.logger.warn(
          { topic: dropped.topic, dropped: this.stats.dropped, limit: VOLATILE_LIMIT },
          "too many responses waiting for the broker: dropped the oldest",
        );
    }
  }

  private flush(): void {
    while (this.outbox.length > 0 && this.connected) this.sendNow(this.outbox.shift()!);
  }

  private sendNow(message: OutgoingMessage): void {
    const properties =
      message.correlationData && this.version === 5
        ? { properties: { correlationData: message.correlationData } }
        : {};
    this.client?.publish(
      message.topic,
      message.payload,
      { qos: 1, retain: message.retain, ...properties },
      (err) => {
        if (err) this.logger.warn({ topic: message.topic, err: err.message }, "MQTT publish failed");
      },
    );
    this.stats.published++;
  }

  /** Publishes `last` (the offline status), waits for the broker's acknowledgement, disconnects cleanly. */
  async stop(last?: OutgoingMessage, timeoutMs = 1500): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stableTimer);
    const client = this.client;
    if (!client) return;
    // The last event messages (the safe state's alarms and telemetry) go to disk and, if the
    // broker is there, out; what it has not acknowledged in time is replayed at the next start.
    const outbox = this.options.outbox;
    await outbox.flushNow();
    this.pump();
    const deadline = performance.now() + timeoutMs;
    while (client.connected && outbox.inFlight() > 0 && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    if (last && client.connected) {
      await Promise.race([
        client.publishAsync(last.topic, last.payload, { qos: 1, retain: last.retain }).catch(() => undefined),
        new Promise((r) => setTimeout(r, timeoutMs).unref()),
      ]);
    }
    await Promise.race([client.endAsync(false), new Promise((r) => setTimeout(r, timeoutMs).unref())]).catch(
      () => undefined,
    );
    client.end(true);
    await outbox.close();
  }
}
