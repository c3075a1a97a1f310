/**
 * Reading the outbox's journal back at start (./outbox.ts has the format). Whatever a crash
 * left is accepted as far as it reads: a torn last line is cut off, an unreadable line elsewhere
 * is skipped and counted, segments before the newest base segment are superseded.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../hal/logger.js";
import { type JournalMessage, MESSAGE_KINDS, type MessageKind } from "./outbox-thin.js";

export interface Segment {
  number: number;
  bytes: number;
  /** The largest message id in it: once acknowledged, the segment can go. */
  maxId: number;
}

export type RecoveredMessage = Omit<JournalMessage, "bytes" | "durable">;

export interface RecoveredJournal {
  pending: RecoveredMessage[];
  seqs: Map<string, number>;
  nextId: number;
  ackedUpTo: number;
  /** Every segment found (all are replaced by one new base segment). */
  segments: Segment[];
  corruptRecords: number;
}

const SEGMENT_NAME = /^(\d{8})\.jsonl$/;

export const segmentFile = (number: number): string => `${String(number).padStart(8, "0")}.jsonl`;

type Record =
  | { kind: "header"; base: boolean; next: number; seq: { [topic: string]: number } }
  | { kind: "message"; message: RecoveredMessage }
  | { kind: "ack"; id: number };

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

function parseRecord(line: string): Record | undefined {
  let r: { [key: string]: unknown };
  try {
    r = JSON.parse(line) as { [key: string]: unknown };
  } catch {
    return undefined;
  }
  if (r === null || typeof r !== "object") return undefined;
  if (r.h === 1 && isCount(r.next) && typeof r.seq === "object" && r.seq !== null) {
    const seq = Object.fromEntries(Object.entries(r.seq).filter(([, n]) => isCount(n))) as {
      [topic: string]: number;
    };
    return { kind: "header", base: r.base === true, next: r.next, seq };
  }
  if (isCount(r.a)) return { kind: "ack", id: r.a };
  if (
    isCount(r.m) &&
    MESSAGE_KINDS.includes(r.k as MessageKind) &&
    typeof r.t === "string" &&
    isCount(r.s) &&
    typeof r.p === "object" &&
    r.p !== null
  )
    return {
      kind: "message",
      message: {
        id: r.m,
        kind: r.k as MessageKind,
        topic: r.t,
        seq: r.s,
        payload: JSON.stringify(r.p),
        retain: r.r === 1,
        handed: false,
        acked: false,
      },
    };
  return undefined;
}

export async function recoverJournal(dir: string, logger: Logger): Promise<RecoveredJournal> {
  const names = (await readdir(dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
  const segments: Segment[] = [];
  const contents: string[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), "utf8");
    segments.push({ number: Number(SEGMENT_NAME.exec(name)![1]), bytes: Buffer.byteLength(text), maxId: 0 });
    contents.push(text);
  }
  const baseIndex = contents.findLastIndex((text) => {
    const first = parseRecord(text.slice(0, text.indexOf("\n")));
    return first?.kind === "header" && first.base;
  });
  const seqs = new Map<string, number>();
  const messages = new Map<number, RecoveredMessage>();
  let next = 1;
  let ackedUpTo = 0;
  let corruptRecords = 0;
  let torn = 0;
  const raise = (topic: string, seq: number) => seqs.set(topic, Math.max(seqs.get(topic) ?? 0, seq));
  for (let i = Math.max(0, baseIndex); i < contents.length; i++) {
    const lines = contents[i]!.split("\n");
    const last = lines.pop()!; // after the final newline: empty, unless the write was torn
    if (last !== "") torn++;
    for (const line of lines) {
      const record = parseRecord(line);
      if (!record) {
        corruptRecords++;
        continue;
      }
      if (record.kind === "header") {
        next = Math.max(next, record.next);
        for (const [topic, seq] of Object.entries(record.seq)) raise(topic, seq);
      } else if (record.kind === "ack") ackedUpTo = Math.max(ackedUpTo, record.id);
      else {
        messages.set(record.message.id, record.message);
        raise(record.message.topic, record.message.seq);
        next = Math.max(next, record.message.id + 1);
      }
    }
  }
  if (torn > 0)
    logger.warn({ dir, tornRecords: torn }, "the outbox journal ended in a torn write (a crash): cut off");
  if (corruptRecords > 0)
    logger.error(
      { dir, corruptRecords },
      "the outbox journal had unreadable records: skipped (messages may be missing)",
    );
  const pending = [...messages.values()].filter((m) => m.id > ackedUpTo).sort((a, b) => a.id - b.id);
  return { pending, seqs, nextId: next, ackedUpTo, segments, corruptRecords };
}
