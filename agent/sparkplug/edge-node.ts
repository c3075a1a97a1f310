/**
 * The Sparkplug B 3.0 edge node's session: its own MQTT 3.1.1 connection (clean session, as the
 * specification requires; a will of its own), births, data by exception, deaths, commands.
 *
 *  - Each CONNECT takes the next bdSeq (./hold.ts) and registers NDEATH {bdSeq} as the will
 *    (QoS 1, not retained); a connection is made afresh for each attempt, so the will's bdSeq is
 *    always the one the NBIRTH will carry.
 *  - Once connected: subscribe NCMD and DCMD (QoS 1) and, with a primary host, its STATE; then,
 *    when the agent has announced itself and the primary host is online, the birth sequence —
 *    NBIRTH (seq 0), a DBIRTH per device — then data. Every message after NBIRTH takes the next
 *    seq mod 256. BIRTH and DATA go at QoS 0, not retained (specification, chapter 4).
 *  - The primary host going offline (a STATE of online=false no older than the last) ends the
 *    session: NDEATH, disconnect, connect again and wait for it. Meanwhile changes are held on
 *    disk and sent, marked historical, after the next births.
 *  - NCMD `Node Control/Rebirth` = true: the birth sequence again (same bdSeq). DCMD: each
 *    metric to `onCommand` (the control plane's request path, ./commands.ts).
 *  - Stop: NDEATH, then DISCONNECT.
 */
import mqtt, { type MqttClient } from "mqtt";
import type { Logger } from "../../hal/logger.js";
import { Backoff } from "../backoff.js";
import { type PublisherOptions, STABLE_CONNECTION_MS, sendImmediately } from "../mqtt/connection.js";
import { DataType, encodePayload, type MetricValue, type SparkplugMetric } from "./codec.js";
import { BdSeqFile, HeldData, type HeldRecord } from "./hold.js";
import { readInbound } from "./inbound.js";
import type { MetricModel, Reading } from "./metric-model.js";

export type MessageType = "NBIRTH" | "NDEATH" | "NDATA" | "NCMD" | "DBIRTH" | "DDEATH" | "DDATA" | "DCMD";

/** The connection's settings, as the JSON publisher's. */
export type ConnectionOptions = Pick<
  PublisherOptions,
  "url" | "clientId" | "username" | "password" | "tls" | "keepaliveS" | "reconnect"
>;

export interface EdgeNodeOptions extends ConnectionOptions {
  groupId: string;
  edgeNodeId: string;
  primaryHostId?: string | undefined;
  /** `<stateDir>/sparkplug`. */
  dir: string;
  holdMaxBytes: number;
  model: MetricModel;
  /** A device metric written by a DCMD (its name; the value already of the metric's kind). */
  onCommand: (device: string, metric: string, value: MetricValue) => void;
  /** Node metrics read afresh at each birth (what is known only once the agent runs). */
  nodeValues?: () => Record<string, Reading>;
  /** A command that is no command (undecodable, unknown metric, wrong type): why. */
  onRefused: (why: string) => void;
  logger: Logger;
}

export class EdgeNode {
  private client: MqttClient | undefined;
  private readonly backoff: Backoff;
  private readonly bdSeqFile: BdSeqFile;
  private readonly held: HeldData;
  private bdSeq = 0;
  private seq = 0;
  private connected = false;
  private announced = false;
  private live = false;
  private stopping = false;
  private hostOnline: boolean;
  private hostTimestamp = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private readonly stats = { connects: 0, births: 0, rebirthRequests: 0, published: 0, badState: 0 };

  constructor(private readonly o: EdgeNodeOptions) {
    this.backoff = new Backoff(o.reconnect.initialDelayMs, o.reconnect.maxDelayMs);
    this.bdSeqFile = new BdSeqFile(o.dir, o.logger);
    this.held = new HeldData(o.dir, o.holdMaxBytes, o.logger, () => this.releaseHeld());
    this.hostOnline = o.primaryHostId === undefined;
  }

  topic(type: MessageType, device?: string): string {
    return `spBv1.0/${this.o.groupId}/${type}/${this.o.edgeNodeId}${device ? `/${device}` : ""}`;
  }

  async start(): Promise<void> {
    await this.held.open();
    await this.connect();
  }

  /** Births may go out from now (every service has started). */
  announce(): void {
    this.announced = true;
    this.maybeBirth();
  }

  /** A device's (or, id "", the node's) latest values: DATA by exception, a birth when needed, or held. */
  update(id: string, values: Record<string, Reading>, timestampMs = Date.now()): void {
    const { model } = this.o;
    const wasBorn = model.isBorn(id);
    const { birth, changes } = model.update(id, values, timestampMs);
    if (!this.live) {
      if (changes.length > 0)
        this.held.hold({
          ts: new Date(timestampMs).toISOString(),
          device: id,
          values: Object.fromEntries(changes.map((c) => [c.name, c.value ?? null])),
        });
      return;
    }
    if (birth && id !== "") {
      if (wasBorn) this.send("DDEATH", id, []);
      this.send("DBIRTH", id, model.birth(id));
    } else if (changes.length > 0) {
      this.send(
        id === "" ? "NDATA" : "DDATA",
        id,
        changes.map(({ name: _name, ...byAlias }) => byAlias),
      );
    }
  }

  /** The device faulted or left: DDEATH (its metrics go stale on the host); born again with its next values. */
  death(id: string, forget = false): void {
    if (this.o.model.kill(id) && this.live) this.send("DDEATH", id, []);
    if (forget) this.o.model.forget(id);
  }

  async stop(timeoutMs = 1500): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stableTimer);
    const client = this.client;
    if (client?.connected) {
      await Promise.race([
        client
          .publishAsync(this.topic("NDEATH"), this.deathCertificate(), { qos: 1, retain: false })
          .catch(() => {}),
        new Promise((r) => setTimeout(r, timeoutMs).unref()),
      ]);
      await Promise.race([
        client.endAsync(false),
        new Promise((r) => setTimeout(r, timeoutMs).unref()),
      ]).catch(() => undefined);
    }
    client?.end(true);
    this.live = false;
    await this.held.close();
  }

  get isLive(): boolean {
    return this.live;
  }

  health() {
    return {
      sparkplugConnects: this.stats.connects,
      sparkplugBirths: this.stats.births,
      sparkplugRebirthRequests: this.stats.rebirthRequests,
      sparkplugPublished: this.stats.published,
      sparkplugBadStateMessages: this.stats.badState,
      sparkplugBdSeq: this.bdSeq,
      sparkplugLive: this.live,
      ...this.held.getStats(),
    };
  }

  private deathCertificate(): Buffer {
    const now = Date.now();
    return Buffer.from(
      encodePayload({
        timestamp: now,
        metrics: [{ name: "bdSeq", timestamp: now, datatype: DataType.Int64, value: this.bdSeq }],
      }),
    );
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    const o = this.o;
    this.bdSeq = await this.bdSeqFile.next();
    const client = mqtt.connect(o.url, {
      clientId: o.clientId,
      protocolVersion: 4,
      clean: true,
      keepalive: o.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      will: { topic: this.topic("NDEATH"), payload: this.deathCertificate(), qos: 1, retain: false },
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.tls ?? {}),
    });
    this.client = client;
    client.on("connect", () => void this.onConnect(client));
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
    client.on("error", (err) =>
      o.logger.warn({ url: o.url, err: err.message }, "Sparkplug connection error"),
    );
    client.on("close", () => {
      if (this.client !== client) return;
      this.connected = false;
      this.live = false;
      clearTimeout(this.stableTimer);
      client.end(true);
      if (this.stopping) return;
      const delayMs = this.backoff.next();
      o.logger.warn({ url: o.url, retryInMs: delayMs }, "Sparkplug session ended; connecting again");
      this.retryTimer = setTimeout(() => void this.connect(), delayMs);
    });
  }

  private async onConnect(client: MqttClient): Promise<void> {
    sendImmediately(client);
    this.stats.connects++;
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => this.backoff.reset(), STABLE_CONNECTION_MS);
    this.stableTimer.unref();
    const filters = [this.topic("NCMD"), `${this.topic("DCMD")}/+`];
    if (this.o.primaryHostId) filters.push(`spBv1.0/STATE/${this.o.primaryHostId}`);
    await client.subscribeAsync(filters, { qos: 1 }).catch((err: Error) => {
      this.o.logger.error({ err: err.message }, "Sparkplug: could not subscribe to commands");
    });
    if (this.client !== client || !client.connected) return;
    this.o.logger.info(
      { url: this.o.url, bdSeq: this.bdSeq, primaryHost: this.o.primaryHostId ?? null },
      "Sparkplug session established",
    );
    this.connected = true;
    this.maybeBirth();
  }

  private maybeBirth(): void {
    if (this.connected && this.announced && this.hostOnline && !this.live && !this.stopping) this.birthAll();
  }

  /** NBIRTH (seq 0) and a DBIRTH for every live device; then DATA, and the held data as history. */
  private birthAll(): void {
    const { model } = this.o;
    model.unbornAll();
    this.live = false;
    model.update("", { bdSeq: this.bdSeq, ...this.o.nodeValues?.() }, Date.now());
    this.send("NBIRTH", undefined, model.birth(""));
    for (const id of model.liveDeviceIds()) this.send("DBIRTH", id, model.birth(id));
    this.stats.births++;
    this.live = true;
    void this.held.flushNow().then(() => this.releaseHeld());
  }

  private releaseHeld(): void {
    if (!this.live) return;
    this.held.release((record: HeldRecord) => {
      const { model } = this.o;
      if (record.device !== "" && !model.isBorn(record.device))
        return this.skipped(record, "its device is not born");
      const metrics: SparkplugMetric[] = [];
      const timestamp = Date.parse(record.ts);
      for (const [name, value] of Object.entries(record.values)) {
        const alias = model.aliasOf(record.device, name);
        if (alias === undefined) return this.skipped(record, `no metric ${name}`);
        metrics.push({
          alias,
          timestamp,
          isHistorical: true,
          ...(value === null ? { isNull: true } : { value }),
        });
      }
      this.send(record.device === "" ? "NDATA" : "DDATA", record.device, metrics);
      return true;
    });
  }

  private skipped(record: HeldRecord, why: string): false {
    this.o.logger.warn(
      { device: record.device, ts: record.ts, why },
      "Sparkplug: a held change could not be sent",
    );
    return false;
  }

  private send(type: MessageType, device: string | undefined, metrics: SparkplugMetric[]): void {
    this.seq = type === "NBIRTH" ? 0 : (this.seq + 1) % 256;
    const payload = encodePayload({ timestamp: Date.now(), seq: this.seq, metrics });
    this.client?.publish(this.topic(type, device || undefined), Buffer.from(payload), {
      qos: 0,
      retain: false,
    });
    this.stats.published++;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const topics = { ncmd: this.topic("NCMD"), dcmd: this.topic("DCMD") };
    for (const inbound of readInbound(topic, payload, topics, this.o.model)) {
      if (inbound.kind === "state") this.onHostState(inbound.online, inbound.timestamp);
      else if (inbound.kind === "bad-state") {
        this.stats.badState++;
        this.o.logger.warn(
          { payload: inbound.text },
          "Sparkplug: a STATE message without online and timestamp; ignored",
        );
      } else if (inbound.kind === "rebirth") {
        this.stats.rebirthRequests++;
        this.o.logger.info("Sparkplug: rebirth requested");
        if (this.live) this.birthAll();
      } else if (inbound.kind === "command") this.o.onCommand(inbound.device, inbound.metric, inbound.value);
      else this.o.onRefused(inbound.why);
    }
  }

  /** The primary host's STATE; one older than the last is ignored. */
  private onHostState(online: boolean, timestamp: number): void {
    if (timestamp < this.hostTimestamp) return;
    this.hostTimestamp = timestamp;
    if (online === this.hostOnline) return;
    this.hostOnline = online;
    this.o.logger.info({ host: this.o.primaryHostId, online }, "Sparkplug primary host state");
    if (online) this.maybeBirth();
    else void this.endSessionForHost();
  }

  /** The primary host went offline: NDEATH, disconnect, connect again (and wait for it). */
  private async endSessionForHost(): Promise<void> {
    const client = this.client;
    if (!client?.connected) return;
    this.live = false;
    await client
      .publishAsync(this.topic("NDEATH"), this.deathCertificate(), { qos: 1, retain: false })
      .catch(() => {});
    client.end(false); // the close handler connects again with the next bdSeq
  }
}
