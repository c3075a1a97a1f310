/**
 * What the outbox gives up when it is full (./outbox.ts): telemetry first, and gently — the
 * oldest samples become one summary per device per minute (min, mean and max of each number);
 * then, if that is not enough, the oldest telemetry goes; only then the oldest of the other
 * kinds (measurements, alignment, config, audit, alarms, incidents, SLIs, …). Messages already handed to the
 * broker stay: they cannot be called back.
 */

export const MESSAGE_KINDS = [
  "telemetry",
  "measurement",
  "alarm",
  "alignment",
  "audit",
  "config",
  "incident",
  "notification",
  "sli",
  "run",
  "gameday",
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface JournalMessage {
  /** The journal's order, one counter across topics. */
  id: number;
  kind: MessageKind;
  topic: string;
  /** The topic's sequence number (in the payload as `seq`); a summary covers `seqFrom`…`seq`. */
  seq: number;
  payload: string;
  retain: boolean;
  /** Bytes the message holds in the journal. */
  bytes: number;
  /** Handed to the MQTT client (in flight or delivered). */
  handed: boolean;
  acked: boolean;
  /** On disk (fsynced), so it may be handed out. */
  durable: boolean;
}

export interface ThinResult {
  kept: JournalMessage[];
  /** Telemetry samples folded into summaries. */
  summarised: number;
  dropped: Partial<Record<MessageKind, number>>;
}

interface Sample {
  ts?: string;
  device?: string;
  type?: string;
  state?: string;
  values?: Record<string, unknown>;
  summary?: unknown;
}

type Stat = { min: number; sum: number; max: number; n: number };

function parseSample(message: JournalMessage): Sample | undefined {
  try {
    const sample = JSON.parse(message.payload) as Sample;
    return sample.summary === undefined && typeof sample.ts === "string" ? sample : undefined;
  } catch {
    return undefined;
  }
}

/** One message standing for `group` (same topic, same minute, oldest first). */
function summarise(
  group: Array<{ message: JournalMessage; sample: Sample }>,
  bytesOf: (m: JournalMessage) => number,
) {
  const first = group[0]!;
  const last = group[group.length - 1]!;
  const stats = new Map<string, Stat>();
  let faulted = 0;
  for (const { sample } of group) {
    if (sample.state !== "ok") faulted++;
    for (const [key, value] of Object.entries(sample.values ?? {})) {
      if (typeof value !== "number" || !Number.isFinite(value)) continue;
      const s = stats.get(key) ?? { min: value, sum: 0, max: value, n: 0 };
      s.min = Math.min(s.min, value);
      s.max = Math.max(s.max, value);
      s.sum += value;
      s.n++;
      stats.set(key, s);
    }
  }
  const values: Record<string, { min: number; mean: number; max: number }> = {};
  for (const [key, s] of stats) values[key] = { min: s.min, mean: s.sum / s.n, max: s.max };
  const payload = JSON.stringify({
    ts: first.sample.ts,
    device: first.sample.device,
    type: first.sample.type,
    state: "summary",
    summary: {
      fromTs: first.sample.ts,
      toTs: last.sample.ts,
      samples: group.length,
      faultedSamples: faulted,
      seqFrom: first.message.seq,
    },
    values,
    seq: last.message.seq,
  });
  const message: JournalMessage = { ...last.message, id: first.message.id, payload, bytes: 0 };
  message.bytes = bytesOf(message);
  return message;
}

/**
 * Brings the messages not yet handed out down to `targetBytes` (with those in flight counted),
 * in the order above. `bytesOf` measures a new summary as the journal will store it.
 */
export function thin(
  messages: readonly JournalMessage[],
  targetBytes: number,
  bytesOf: (m: JournalMessage) => number,
): ThinResult {
  const dropped: Partial<Record<MessageKind, number>> = {};
  let total = messages.reduce((sum, m) => sum + m.bytes, 0);
  if (total <= targetBytes) return { kept: [...messages], summarised: 0, dropped };

  // 1. Raw telemetry by topic and minute, each group of two or more folded into one summary.
  const groups = new Map<string, Array<{ message: JournalMessage; sample: Sample }>>();
  for (const message of messages) {
    if (message.kind !== "telemetry" || message.handed) continue;
    const sample = parseSample(message);
    if (!sample) continue;
    const key = `${message.topic}\u0000${sample.ts!.slice(0, 16)}`;
    const group = groups.get(key) ?? [];
    group.push({ message, sample });
    groups.set(key, group);
  }
  const replaced = new Map<number, JournalMessage | null>();
  let summarised = 0;
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const summary = summarise(group, bytesOf);
    for (const { message } of group) {
      replaced.set(message.id, null);
      total -= message.bytes;
    }
    replaced.set(summary.id, summary);
    total += summary.bytes;
    summarised += group.length;
  }
  let kept = messages.flatMap((m) => {
    const r = replaced.get(m.id);
    return r === undefined ? [m] : r === null ? [] : [r];
  });

  // 2. The oldest telemetry, then 3. the oldest of everything else.
  const dropOldest = (which: (m: JournalMessage) => boolean) => {
    if (total <= targetBytes) return;
    const gone = new Set<number>();
    for (const m of kept) {
      if (total <= targetBytes) break;
      if (m.handed || !which(m)) continue;
      gone.add(m.id);
      total -= m.bytes;
      dropped[m.kind] = (dropped[m.kind] ?? 0) + 1;
    }
    kept = kept.filter((m) => !gone.has(m.id));
  };
  dropOldest((m) => m.kind === "telemetry");
  dropOldest(() => true);
  return { kept, summarised, dropped };
}
