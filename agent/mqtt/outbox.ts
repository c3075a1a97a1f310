/**
 * The durable outbox: every QoS 1 event message (telemetry, measurements, alarms, alignment,
 * audit, config) is appended to a journal in the state directory and fsynced before it is handed
 * to the broker; it leaves the journal when the broker acknowledges it. A broker outage or an
 * agent restart therefore loses nothing: at start the unacknowledged messages are replayed, in
 * order, before anything new. Each message carries `seq`, counted per topic across restarts, so
 * a subscriber can see that nothing is missing.
 *
 * SD cards: writes are batched — one append and one fsync every `flushMs` (or sooner at
 * `flushBytes`). The journal is a directory of JSON-lines segments:
 *   {"h":1,"base":true,"next":id,"seq":{topic:n}}   a segment's header (base: ignore older segments)
 *   {"m":id,"k":kind,"t":topic,"s":seq,"r":1,"p":{payload}}   a message
 *   {"a":id}                                         every message up to id was acknowledged
 * A torn last line (power cut, kill -9) is cut off; an unreadable line elsewhere is skipped and
 * counted. Bounded by `maxBytes` of unacknowledged messages: beyond it ./outbox-thin.ts decides
 * what goes (telemetry first), every drop counted and logged. A disk that refuses writes
 * (ENOSPC, EIO) degrades the outbox to memory with an alarm; the agent keeps running and the
 * journal is rewritten whole once the disk takes writes again.
 */

import type { FileHandle } from "node:fs/promises";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../hal/logger.js";
import { writeFileAtomic } from "../state-files.js";
import { recoverJournal, type Segment, segmentFile } from "./outbox-recover.js";
import { type JournalMessage, type MessageKind, thin } from "./outbox-thin.js";

export interface OutboxSettings {
  dir: string;
  maxBytes: number;
  flushMs: number;
  flushBytes: number;
  /** A new segment starts beyond this size; fully acknowledged segments are deleted. */
  segmentBytes?: number;
  /** After a disk fault, how long before the next write is tried (10 s). */
  retryDiskMs?: number;
  /** How segments are written (tests inject a disk that fills up). */
  disk?: {
    openForAppend: (file: string) => Promise<FileHandle>;
    writeWhole: (file: string, data: string) => Promise<void>;
  };
}

export interface OutboxStats {
  pendingMessages: number;
  pendingBytes: number;
  bytesWritten: number;
  fsyncs: number;
  summarised: number;
  dropped: number;
  corruptRecords: number;
  degraded: boolean;
}

type Line = Pick<JournalMessage, "id" | "kind" | "topic" | "seq" | "retain" | "payload">;
/** The payload goes in as JSON (not as an escaped string): a third fewer bytes on the card. */
const lineOf = (m: Line): string =>
  `{"m":${m.id},"k":"${m.kind}","t":${JSON.stringify(m.topic)},"s":${m.seq}${m.retain ? ',"r":1' : ""},"p":${m.payload}}\n`;
const bytesOf = (m: Line): number => Buffer.byteLength(lineOf(m));

export class DurableOutbox {
  private pending: JournalMessage[] = [];
  private pendingBytes = 0;
  private readonly seqs = new Map<string, number>();
  private nextId = 1;
  private ackedUpTo = 0;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private bufferedMessages: JournalMessage[] = [];
  private ackDirty = false;
  private segments: Segment[] = [];
  private active: FileHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = 0;
  private writing: Promise<void> = Promise.resolve();
  private degradedSince: string | undefined;
  private retryAt = 0;
  private closed = false;
  private readonly stats = { bytesWritten: 0, fsyncs: 0, summarised: 0, dropped: 0, corruptRecords: 0 };

  constructor(
    private readonly settings: OutboxSettings,
    private readonly logger: Logger,
    /** Called when messages became durable (or the disk failed): hand them to the broker. */
    private readonly onReady: () => void,
    /** The disk fault, or undefined once it is over: the owner raises or clears its alarm. */
    private readonly onDiskFault: (fault: string | undefined) => void,
  ) {}

  getStats(): OutboxStats {
    return {
      pendingMessages: this.pending.length,
      pendingBytes: this.pendingBytes,
      ...this.stats,
      degraded: this.degradedSince !== undefined,
    };
  }

  /** Reads the journal: unacknowledged messages become pending, the topic counters continue. */
  async open(): Promise<void> {
    let recovered: Awaited<ReturnType<typeof recoverJournal>>;
    try {
      await mkdir(this.settings.dir, { recursive: true });
      recovered = await recoverJournal(this.settings.dir, this.logger);
    } catch (err) {
      this.diskFailed(err);
      return;
    }
    this.stats.corruptRecords = recovered.corruptRecords;
    for (const [topic, seq] of recovered.seqs) this.seqs.set(topic, seq);
    this.nextId = recovered.nextId;
    this.ackedUpTo = recovered.ackedUpTo;
    this.pending = recovered.pending.map((m) => ({ ...m, bytes: bytesOf(m), durable: true }));
    this.pendingBytes = this.pending.reduce((sum, m) => sum + m.bytes, 0);
    if (this.pending.length > 0)
      this.logger.info(
        { messages: this.pending.length, bytes: this.pendingBytes },
        "replaying the messages the broker had not acknowledged before the restart",
      );
    // One fresh base segment holds what is pending; the old segments go.
    this.segments = recovered.segments;
    await this.enqueueWrite(() => this.rewrite());
    if (this.pendingBytes > this.settings.maxBytes) this.makeRoom();
  }

  /** Appends one message; it is handed out (onReady) once it is on disk. */
  append(kind: MessageKind, topic: string, body: object, retain: boolean): void {
    if (this.closed) return;
    const seq = (this.seqs.get(topic) ?? 0) + 1;
    this.seqs.set(topic, seq);
    const message: JournalMessage = {
      id: this.nextId++,
      kind,
      topic,
      seq,
      payload: JSON.stringify({ ...body, seq }),
      retain,
      bytes: 0,
      handed: false,
      acked: false,
      durable: false,
    };
    const line = lineOf(message);
    message.bytes = Buffer.byteLength(line);
    this.pending.push(message);
    this.pendingBytes += message.bytes;
    if (this.degradedSince !== undefined) {
      message.durable = true; // as durable as it gets: memory
      this.maybeRetryDisk();
      if (this.pendingBytes > this.settings.maxBytes) this.makeRoom();
      this.onReady();
      return;
    }
    this.buffer.push(line);
    this.bufferBytes += message.bytes;
    this.bufferedMessages.push(message);
    if (this.pendingBytes > this.settings.maxBytes) this.makeRoom();
    this.schedule(this.bufferBytes >= this.settings.flushBytes ? 0 : this.settings.flushMs);
  }

  /** Messages on disk (or, degraded, in memory) and not yet handed out, in order. */
  *ready(): Generator<JournalMessage> {
    for (const message of this.pending) {
      if (!message.durable) return;
      if (!message.handed) yield message;
    }
  }

  /** The broker acknowledged the message. */
  acknowledge(message: JournalMessage): void {
    message.acked = true;
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.acked) {
      this.pendingBytes -= this.pending[n]!.bytes;
      this.ackedUpTo = this.pending[n]!.id;
      n++;
    }
    if (n === 0) return;
    this.pending.splice(0, n);
    this.ackDirty = true;
    // An acknowledgement alone waits longer: it only saves a duplicate after a crash.
    this.schedule(this.settings.flushMs * 5);
  }

  /**
   * A new connection: whatever was in flight on the old one is handed out again (MQTT.js's
   * reconnect starts with an empty store, so it would never be resent or acknowledged).
   */
  rehandUnacknowledged(): void {
    for (const m of this.pending) if (m.handed && !m.acked) m.handed = false;
  }

  /** The client gave the message back (its connection was torn down): hand it out again later. */
  unhand(message: JournalMessage): void {
    if (!message.acked) message.handed = false;
  }

  /** Messages handed to the client and not yet acknowledged. */
  inFlight(): number {
    return this.pending.reduce((n, m) => n + (m.handed && !m.acked ? 1 : 0), 0);
  }

  /** Writes what is buffered now (the messages become ready). */
  async flushNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.enqueueWrite(() => this.flush());
  }

  /** Writes what is buffered and stops. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.enqueueWrite(() => this.flush());
    this.closed = true;
    await this.active?.close().catch(() => undefined);
    this.active = undefined;
  }

  /** The next write is due in `delayMs` at the latest: a pending timer that fires sooner stays. */
  private schedule(delayMs: number): void {
    if (this.closed) return;
    const dueAt = performance.now() + delayMs;
    if (this.timer && this.timerDueAt <= dueAt) return;
    clearTimeout(this.timer);
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueueWrite(() => this.flush());
    }, delayMs);
  }

  private enqueueWrite(step: () => Promise<void>): Promise<void> {
    this.writing = this.writing.then(step).catch((err: unknown) => this.diskFailed(err));
    return this.writing;
  }

  private async flush(): Promise<void> {
    if (this.degradedSince !== undefined) return;
    if (this.ackDirty) {
      this.buffer.push(`{"a":${this.ackedUpTo}}\n`);
      this.ackDirty = false;
    }
    if (this.buffer.length === 0) return;
    const data = this.buffer.join("");
    const messages = this.bufferedMessages;
    this.buffer = [];
    this.bufferBytes = 0;
    this.bufferedMessages = [];
    const segment = this.segments[this.segments.length - 1]!;
    await this.active!.write(data);
    await this.active!.datasync();
    this.stats.bytesWritten += Buffer.byteLength(data);
    this.stats.fsyncs++;
    segment.bytes += Buffer.byteLength(data);
    for (const m of messages) {
      m.durable = true;
      segment.maxId = Math.max(segment.maxId, m.id);
    }
    if (messages.length > 0) this.onReady();
    if (segment.bytes >= (this.settings.segmentBytes ?? 4 * 1024 * 1024)) await this.startSegment(false);
    await this.deleteAcknowledgedSegments();
  }

  private header(base: boolean): string {
    return `${JSON.stringify({ h: 1, base, next: this.nextId, seq: Object.fromEntries(this.seqs) })}\n`;
  }

  /** A new active segment: a base one (written whole, then renamed in) holds every pending message. */
  private async startSegment(base: boolean, body = ""): Promise<void> {
    const number = (this.segments[this.segments.length - 1]?.number ?? 0) + 1;
    const file = join(this.settings.dir, segmentFile(number));
    const data = this.header(base) + body;
    await this.active?.close();
    this.active = undefined;
    await (this.settings.disk?.writeWhole ?? ((f: string, d: string) => writeFileAtomic(f, d, 0o600)))(
      file,
      data,
    );
    this.stats.bytesWritten += Buffer.byteLength(data);
    this.stats.fsyncs++;
    this.active = await (this.settings.disk?.openForAppend ?? ((f: string) => open(f, "a")))(file);
    const maxId = this.pending.reduce((max, m) => Math.max(max, m.id), 0);
    this.segments.push({ number, bytes: Buffer.byteLength(data), maxId: base ? maxId : 0 });
    if (base) {
      for (const old of this.segments.slice(0, -1)) await this.removeSegment(old);
      this.segments = this.segments.slice(-1);
    }
  }

  /** The whole journal rewritten as one base segment: at start, after thinning, after a disk fault. */
  private async rewrite(): Promise<void> {
    this.buffer = [];
    this.bufferBytes = 0;
    this.bufferedMessages = [];
    this.ackDirty = false;
    await this.startSegment(true, this.pending.map(lineOf).join(""));
    for (const m of this.pending) m.durable = true;
    this.onReady();
  }

  private async deleteAcknowledgedSegments(): Promise<void> {
    while (this.segments.length > 1 && this.segments[0]!.maxId <= this.ackedUpTo)
      await this.removeSegment(this.segments.shift()!);
  }

  private async removeSegment(segment: Segment): Promise<void> {
    await rm(join(this.settings.dir, segmentFile(segment.number)), { force: true });
  }

  /** Over `maxBytes`: thin to three quarters of it (hysteresis), then rewrite the journal. */
  private makeRoom(): void {
    const result = thin(this.pending, Math.floor(this.settings.maxBytes * 0.75), bytesOf);
    const dropped = Object.values(result.dropped).reduce((a, b) => a + b, 0);
    this.stats.summarised += result.summarised;
    this.stats.dropped += dropped;
    this.pending = result.kept;
    this.pendingBytes = this.pending.reduce((sum, m) => sum + m.bytes, 0);
    this.logger.warn(
      { maxBytes: this.settings.maxBytes, summarisedSamples: result.summarised, dropped: result.dropped },
      "MQTT outbox full while the broker is away: thinned the oldest telemetry (and dropped what is listed)",
    );
    if (this.degradedSince === undefined) void this.enqueueWrite(() => this.rewrite());
  }

  private diskFailed(err: unknown): void {
    const fault = `${(err as NodeJS.ErrnoException).code ?? ""} ${(err as Error).message}`.trim();
    this.retryAt = Date.now() + (this.settings.retryDiskMs ?? 10_000);
    if (this.degradedSince !== undefined) return;
    this.degradedSince = new Date().toISOString();
    this.buffer = [];
    this.bufferBytes = 0;
    for (const m of this.pending) m.durable = true; // kept in memory from now on
    this.bufferedMessages = [];
    this.logger.error(
      { dir: this.settings.dir, err: fault },
      "the outbox cannot write to the state directory: messages are kept in memory only until it can",
    );
    this.onDiskFault(fault);
    this.onReady();
  }

  private maybeRetryDisk(): void {
    if (Date.now() < this.retryAt) return;
    this.retryAt = Number.POSITIVE_INFINITY; // one attempt at a time
    void this.enqueueWrite(async () => {
      await this.rewrite();
      this.degradedSince = undefined;
      this.logger.info({ dir: this.settings.dir }, "the outbox writes to disk again");
      this.onDiskFault(undefined);
    });
  }
}
