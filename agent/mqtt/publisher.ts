/**
 * The agent's one MQTT connection. QoS 1 throughout; the `offline` status is registered as the
 * will; reconnects are ours (exponential backoff with jitter, MQTT.js's fixed-period reconnect
 * off). While the broker is away, messages wait in a bounded outbox: beyond `outboxLimit` the
 * oldest is dropped, logged and counted. `protocolVersion: "auto"` tries MQTT 5 and falls back to
 * 3.1.1 when the broker refuses the version (aedes, older brokers).
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "../../hal/logger.js";
import { Backoff } from "../backoff.js";

export interface OutgoingMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface PublisherOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  protocolVersion: "auto" | 4 | 5;
  keepaliveS: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  outboxLimit: number;
  will: OutgoingMessage;
  /** Messages published first on every (re)connect, e.g. the retained `online` status. */
  birth: () => OutgoingMessage[];
}

export interface PublisherStats {
  connected: boolean;
  protocolVersion: 4 | 5;
  connects: number;
  published: number;
  queued: number;
  dropped: number;
}

/** CONNACK codes for "unsupported protocol version": 1 in MQTT 3.1.1, 0x84 in MQTT 5. */
const PROTOCOL_REFUSED = new Set([1, 0x84]);

export class MqttPublisher {
  private client: MqttClient | undefined;
  private version: 4 | 5;
  private readonly outbox: OutgoingMessage[] = [];
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stats = { connects: 0, published: 0, dropped: 0 };
  private firstConnect: (() => void) | undefined;

  constructor(
    private readonly options: PublisherOptions,
    private readonly logger: Logger,
  ) {
    this.version = options.protocolVersion === 4 ? 4 : 5;
    this.backoff = new Backoff(options.reconnect.initialDelayMs, options.reconnect.maxDelayMs);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  getStats(): PublisherStats {
    return {
      connected: this.connected,
      protocolVersion: this.version,
      queued: this.outbox.length,
      ...this.stats,
    };
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
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: o.will.retain },
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
    };
    const client = mqtt.connect(o.url, clientOptions);
    this.client = client;
    let refusedVersion = false;
    client.on("connect", () => {
      this.backoff.reset();
      this.stats.connects++;
      this.logger.info({ url: o.url, protocolVersion: this.version }, "connected to the MQTT broker");
      for (const message of o.birth()) this.send(message);
      this.flush();
      this.firstConnect?.();
      this.firstConnect = undefined;
    });
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
    client.on("close", () => {
      if (this.stopping || this.client !== client) return;
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
    if (this.connected) this.send(message);
    else this.enqueue(message);
  }

  private enqueue(message: OutgoingMessage): void {
    this.outbox.push(message);
    if (this.outbox.length > this.options.outboxLimit) {
      const dropped = this.outbox.shift()!;
      this.stats.dropped++;
      if (this.stats.dropped === 1 || this.stats.dropped % 1000 === 0)
        this.logger.warn(
          { topic: dropped.topic, dropped: this.stats.dropped, outboxLimit: this.options.outboxLimit },
          "MQTT outbox full while the broker is away: dropped the oldest message",
        );
    }
  }

  private flush(): void {
    while (this.outbox.length > 0 && this.connected) this.send(this.outbox.shift()!);
  }

  private send(message: OutgoingMessage): void {
    this.client?.publish(message.topic, message.payload, { qos: 1, retain: message.retain }, (err) => {
      if (err) this.logger.warn({ topic: message.topic, err: err.message }, "MQTT publish failed");
    });
    this.stats.published++;
  }

  /** Publishes `last` (the offline status), waits for the broker's acknowledgement, disconnects cleanly. */
  async stop(last?: OutgoingMessage, timeoutMs = 3000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    if (!client) return;
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
  }
}
