import type { FileHandle } from "node:fs/promises";
import { mkdtemp, open, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import sinon from "sinon";
import { describe, expect, it } from "vitest";
import { DurableOutbox, type OutboxSettings } from "../../../agent/mqtt/outbox.js";
import { writeFileAtomic } from "../../../agent/state-files.js";

const logger = pino({ level: "silent" });

async function openOutbox(dir: string, extra: Partial<OutboxSettings> = {}) {
  const faults: Array<string | undefined> = [];
  const outbox = new DurableOutbox(
    { dir, maxBytes: 1024 * 1024, flushMs: 5, flushBytes: 64 * 1024, ...extra },
    logger,
    () => {},
    (fault) => faults.push(fault),
  );
  await outbox.open();
  return { outbox, faults };
}

const bodies = (outbox: DurableOutbox) =>
  [...outbox.ready()].map((m) => ({
    topic: m.topic,
    ...(JSON.parse(m.payload) as { seq: number; i: number }),
  }));

describe("the durable outbox", () => {
  it("hands out nothing before it is on disk, then everything in order with seq per topic", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pb-outbox-"));
    const { outbox } = await openOutbox(dir, { flushMs: 10_000 });
    for (let i = 0; i < 30; i++) outbox.append("telemetry", `t/${i % 3}`, { i }, false);
    expect([...outbox.ready()]).toHaveLength(0);
    await outbox.flushNow();
    const sent = bodies(outbox);
    expect(sent.map((m) => m.i)).toEqual([...Array(30).keys()]);
    expect(sent.filter((m) => m.topic === "t/1").map((m) => m.seq)).toEqual(
      [...Array(10).keys()].map((k) => k + 1),
    );
    await outbox.close();
  });

  it("replays after a restart what the broker had not acknowledged, in order, and counts on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pb-outbox-"));
    const first = await openOutbox(dir);
    for (let i = 0; i < 100; i++)
      first.outbox.append(i % 10 === 0 ? "alarm" : "telemetry", `t/${i % 4}`, { i }, i % 10 === 0);
    await first.outbox.flushNow();
    const handed = [...first.outbox.ready()];
    for (const m of handed) m.handed = true;
    // The broker acknowledged the first 60 (and one later one, out of order: it stays until those before it are in).
    for (const m of handed.slice(0, 60)) first.outbox.acknowledge(m);
    first.outbox.acknowledge(handed[80]!);
    await first.outbox.close();

    const second = await openOutbox(dir);
    const replayed = bodies(second.outbox);
    expect(replayed.map((m) => m.i)).toEqual([...Array(40).keys()].map((k) => k + 60));
    expect([...second.outbox.ready()].filter((m) => m.retain)).toHaveLength(4); // alarms at 60, 70, 80, 90
    second.outbox.append("telemetry", "t/0", { i: 100 }, false);
    await second.outbox.flushNow();
    const last = bodies(second.outbox).at(-1)!;
    expect(last).toMatchObject({ topic: "t/0", i: 100, seq: 26 }); // t/0 had i = 0, 4, …, 96: 25 messages
    expect(second.outbox.getStats()).toMatchObject({ pendingMessages: 41, corruptRecords: 0 });
    await second.outbox.close();
  });

  it("hands out again, in order, what was in flight when the connection dropped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pb-outbox-"));
    const { outbox } = await openOutbox(dir);
    for (let i = 0; i < 6; i++) outbox.append("telemetry", "t", { i }, false);
    await outbox.flushNow();
    const handed = [...outbox.ready()];
    for (const m of handed) m.handed = true;
    outbox.acknowledge(handed[0]!);
    outbox.acknowledge(handed[2]!);
    expect(outbox.inFlight()).toBe(4);
    outbox.rehandUnacknowledged();
    expect(bodies(outbox).map((m) => m.i)).toEqual([1, 3, 4, 5]);
    await outbox.close();
  });

  it("a message appended after an acknowledgement is on disk after flushMs, not after the acknowledgement's longer wait", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pb-outbox-"));
    const { outbox } = await openOutbox(dir, { flushMs: 20 });
    outbox.append("telemetry", "t", { i: 0 }, false);
    await outbox.flushNow();
    const [first] = [...outbox.ready()];
    first!.handed = true;
    const clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      outbox.acknowledge(first!); // its record may wait 5 × 20 ms…
      outbox.append("telemetry", "t", { i: 1 }, false); // …but a message is due on disk at 20 ms
      await clock.tickAsync(30);
      // The write itself is real I/O: let it finish (no timer is needed for that).
      for (let n = 0; n < 5000 && bodies(outbox).length === 0; n++) await new Promise((r) => setImmediate(r));
      expect(bodies(outbox).map((m) => m.i)).toEqual([1]);
    } finally {
      clock.restore();
    }
    await outbox.close();
  });

  it("cuts a torn last line, skips and counts an unreadable one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pb-outbox-"));
    const first = await openOutbox(dir);
    for (let i = 0; i < 10; i++) first.outbox.append("measurement", "m/rates", { i }, false);
    await first.outbox.close();
    const [segment] = await readdir(dir);
    const file = join(dir, segment!);
    const lines = (await readFile(file, "utf8")).split("\n");
    lines[3] = "{not json"; // message i = 2
    await writeFile(file, `${lines.join("\n")}{"m":99,"k":"measurem`); // and a torn write at the end
    const second = await openOutbox(dir);
    expect(bodies(second.outbox).map((m) => m.i)).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 9]);
    expect(second.outbox.getStats().corruptRecords).toBe(1);
    await second.outbox.close();
  });

  it("starts empty on a journal of garbage, counting what it could not read", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pb-outbox-"));
    await writeFile(join(dir, "00000001.jsonl"), "\u0000\u0001garbage\n[1,2]\nnull\n");
    const { outbox } = await openOutbox(dir);
    expect(outbox.getStats()).toMatchObject({ pendingMessages: 0, corruptRecords: 3, degraded: false });
    outbox.append("config", "c", {}, true);
    await outbox.flushNow();
    expect(bodies(outbox)).toEqual([{ topic: "c", seq: 1 }]);
    await outbox.close();
  });

  it("deletes segments once everything in them is acknowledged", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pb-outbox-"));
    const { outbox } = await openOutbox(dir, { segmentBytes: 4096 });
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 20; i++) outbox.append("telemetry", "t", { round, i, pad: "x".repeat(40) }, false);
      await outbox.flushNow();
      for (const m of [...outbox.ready()]) {
        m.handed = true;
        outbox.acknowledge(m);
      }
    }
    await outbox.flushNow();
    expect((await readdir(dir)).length).toBeLessThanOrEqual(2);
    expect(outbox.getStats()).toMatchObject({ pendingMessages: 0, pendingBytes: 0 });
    await outbox.close();
  });

  it("keeps the agent going in memory when the disk is full, with an alarm, and writes again later", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pb-outbox-"));
    let full = false;
    const enospc = () => Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    const disk = {
      openForAppend: async (file: string): Promise<FileHandle> => {
        const handle = await open(file, "a");
        const write = handle.write.bind(handle);
        return Object.assign(handle, {
          write: (async (data: string) => {
            if (full) throw enospc();
            return write(data);
          }) as unknown as FileHandle["write"],
        });
      },
      writeWhole: async (file: string, data: string) => {
        if (full) throw enospc();
        await writeFileAtomic(file, data);
      },
    };
    const { outbox, faults } = await openOutbox(dir, { disk, retryDiskMs: 0 });
    outbox.append("telemetry", "t", { i: 0 }, false);
    await outbox.flushNow();
    full = true;
    outbox.append("telemetry", "t", { i: 1 }, false);
    await outbox.flushNow();
    expect(faults).toEqual(["ENOSPC no space left on device"]);
    expect(outbox.getStats().degraded).toBe(true);
    // Still handed out, from memory.
    expect(bodies(outbox).map((m) => m.i)).toEqual([0, 1]);
    outbox.append("telemetry", "t", { i: 2 }, false); // tries the disk: still full
    await outbox.flushNow();
    expect(outbox.getStats().degraded).toBe(true);
    full = false;
    outbox.append("telemetry", "t", { i: 3 }, false); // the disk takes writes: the journal is rewritten whole
    await outbox.flushNow();
    expect(faults).toEqual(["ENOSPC no space left on device", undefined]);
    await outbox.close();
    const again = await openOutbox(dir);
    expect(bodies(again.outbox).map((m) => m.i)).toEqual([0, 1, 2, 3]);
    await again.outbox.close();
  });
});
