import { describe, expect, it } from "vitest";
import { type JournalMessage, type MessageKind, thin } from "../../../agent/mqtt/outbox-thin.js";

const bytesOf = (m: JournalMessage) => m.payload.length + 40;

/** Two devices sampled each second for five minutes (value = its second), with a measurement each minute. */
function outage(): JournalMessage[] {
  const messages: JournalMessage[] = [];
  const seqs = new Map<string, number>();
  const add = (kind: MessageKind, topic: string, body: object) => {
    const seq = (seqs.get(topic) ?? 0) + 1;
    seqs.set(topic, seq);
    const m: JournalMessage = {
      id: messages.length + 1,
      kind,
      topic,
      seq,
      payload: JSON.stringify({ ...body, seq }),
      retain: false,
      bytes: 0,
      handed: false,
      acked: false,
      durable: true,
    };
    m.bytes = bytesOf(m);
    messages.push(m);
  };
  for (let s = 0; s < 300; s++) {
    const ts = new Date(Date.UTC(2026, 11, 2, 3, 0, s)).toISOString();
    for (const device of ["cryostat", "laser"])
      add("telemetry", `t/${device}`, { ts, device, type: device, state: "ok", values: { x: s, on: true } });
    if (s % 60 === 59) add("measurement", "m/rates", { ts, syncRateHz: 8e7 });
  }
  return messages;
}

const total = (ms: JournalMessage[]) => ms.reduce((n, m) => n + m.bytes, 0);

describe("thinning the full outbox", () => {
  it("folds each device's minute into min/mean/max first, keeping order and every measurement", () => {
    const messages = outage();
    const result = thin(messages, total(messages) / 2, bytesOf);
    expect(result.dropped).toEqual({});
    expect(result.summarised).toBe(600);
    const summaries = result.kept
      .filter((m) => m.kind === "telemetry")
      .map((m) => ({ topic: m.topic, ...JSON.parse(m.payload) }));
    expect(summaries).toHaveLength(10); // 2 devices × 5 minutes
    const third = summaries.filter((s) => s.topic === "t/laser")[2];
    // Minute 2 holds seconds 120…179: mean 149.5; the laser's seq ran 121…180.
    expect(third).toMatchObject({
      state: "summary",
      values: { x: { min: 120, mean: 149.5, max: 179 } },
      summary: {
        samples: 60,
        faultedSamples: 0,
        seqFrom: 121,
        fromTs: "2026-12-02T03:02:00.000Z",
        toTs: "2026-12-02T03:02:59.000Z",
      },
      seq: 180,
    });
    expect(result.kept.filter((m) => m.kind === "measurement")).toHaveLength(5);
    expect(result.kept.map((m) => m.id)).toEqual([...result.kept.map((m) => m.id)].sort((a, b) => a - b));
    expect(total(result.kept)).toBeLessThan(total(messages) / 2);
  });

  it("drops all telemetry before any other kind, oldest first, and counts it", () => {
    const messages = outage();
    const measurements = total(messages.filter((m) => m.kind === "measurement"));
    const result = thin(messages, measurements - 1, bytesOf);
    expect(result.dropped).toEqual({ telemetry: 10, measurement: 1 });
    expect(result.kept.map((m) => JSON.parse(m.payload).seq)).toEqual([2, 3, 4, 5]);
  });

  it("never takes back what is already with the broker", () => {
    const messages = outage();
    for (const m of messages.slice(0, 100)) m.handed = true;
    const result = thin(messages, 0, bytesOf);
    expect(result.kept.map((m) => m.id)).toEqual(messages.slice(0, 100).map((m) => m.id));
  });
});
