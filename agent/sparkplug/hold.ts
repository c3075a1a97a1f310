/**
 * What the edge node keeps in the state directory (`<stateDir>/sparkplug/`):
 *  - `bdseq.json`: the last birth/death sequence number used. Every MQTT CONNECT takes the next
 *    (mod 256), so a host pairs each NDEATH with its NBIRTH across restarts too;
 *  - `held/`: data changes made while there was no Sparkplug session (the primary host offline,
 *    the broker away), in the outbox's journal format (../mqtt/outbox.ts: fsynced, bounded,
 *    thinned telemetry-first when full, every drop counted). They are sent, in order and marked
 *    historical, once the session is back and born.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../hal/logger.js";
import { DurableOutbox } from "../mqtt/outbox.js";
import { writeFileAtomic } from "../state-files.js";
import type { Reading } from "./metric-model.js";

export class BdSeqFile {
  private readonly file: string;
  /** The last one used, for when the file cannot be read or written. */
  private last: number | undefined;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.file = join(dir, "bdseq.json");
  }

  /**
   * The bdSeq for the next CONNECT: 0 the first time, then one more than the last (mod 256),
   * saved first. A state directory that refuses the write is logged and the count goes on in
   * memory (a host then sees the sequence restart after the agent does).
   */
  async next(): Promise<number> {
    try {
      const saved = JSON.parse(await readFile(this.file, "utf8")) as { bdSeq?: unknown };
      if (Number.isInteger(saved.bdSeq)) this.last = saved.bdSeq as number;
    } catch {
      // no file yet (or unreadable): the count in memory, or 0
    }
    const next = this.last === undefined ? 0 : (this.last + 1) % 256;
    this.last = next;
    try {
      await writeFileAtomic(this.file, `${JSON.stringify({ bdSeq: next })}\n`);
    } catch (err) {
      this.logger.error({ file: this.file, err: (err as Error).message }, "Sparkplug bdSeq not saved");
    }
    return next;
  }
}

/** One held change: a device's metrics (by name: aliases belong to a session) at a time. */
export interface HeldRecord {
  ts: string;
  device: string;
  values: Record<string, Reading>;
}

export class HeldData {
  private readonly outbox: DurableOutbox;
  private readonly stats = { held: 0, released: 0, skipped: 0 };

  constructor(dir: string, maxBytes: number, logger: Logger, onReady: () => void) {
    this.outbox = new DurableOutbox(
      { dir: join(dir, "held"), maxBytes, flushMs: 200, flushBytes: 1024 * 1024 },
      logger,
      onReady,
      (fault) =>
        fault === undefined
          ? logger.info("held Sparkplug data are written to the state directory again")
          : logger.error({ fault }, "held Sparkplug data cannot be written to disk: held in memory only"),
    );
  }

  open(): Promise<void> {
    return this.outbox.open();
  }

  hold(record: HeldRecord): void {
    this.stats.held++;
    this.outbox.append("telemetry", `sparkplug/${record.device}`, record, false);
  }

  /** Held records on disk, oldest first; `send` returns false for one it could not place (counted). */
  release(send: (record: HeldRecord) => boolean): void {
    // Taken out first: acknowledging removes messages from the list ready() walks.
    for (const message of [...this.outbox.ready()]) {
      message.handed = true;
      const record = JSON.parse(message.payload) as Partial<HeldRecord> & { summary?: unknown };
      const ok =
        record.summary === undefined &&
        typeof record.ts === "string" &&
        typeof record.device === "string" &&
        typeof record.values === "object" &&
        record.values !== null &&
        send(record as HeldRecord);
      if (ok) this.stats.released++;
      else this.stats.skipped++;
      this.outbox.acknowledge(message);
    }
  }

  flushNow(): Promise<void> {
    return this.outbox.flushNow();
  }

  close(): Promise<void> {
    return this.outbox.close();
  }

  getStats() {
    const o = this.outbox.getStats();
    return {
      sparkplugHeld: this.stats.held,
      sparkplugHeldReleased: this.stats.released,
      sparkplugHeldSkipped: this.stats.skipped,
      sparkplugHeldPending: o.pendingMessages,
      sparkplugHeldDropped: o.dropped + o.summarised,
    };
  }
}
