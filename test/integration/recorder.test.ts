/**
 * Raw-tag recording to real files: rotation loses and duplicates nothing, the files are PTU our
 * reader (and so PicoQuant's) opens, the manifest's sha256 are the files', retention deletes the
 * oldest, and a file a crash left unfinished is recovered.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../agent/correlation/analyze.js";
import { openTimeTagFile } from "../../agent/correlation/readers/open.js";
import { SYNC_CHANNEL } from "../../agent/correlation/readers/ptu-records.js";
import { PtuT2Encoder, ptuHeader } from "../../agent/recording/ptu-writer.js";
import { MANIFEST, type RecorderSettings, TagRecorder } from "../../agent/recording/recorder.js";
import { pulsedSource, TagGenerator } from "../../sim/photons.js";
import { Rng } from "../../sim/random.js";

const logger = pino({ level: "silent" });
const TWO_32 = 2 ** 32;

function settings(dir: string, overrides: Partial<RecorderSettings> = {}): RecorderSettings {
  return {
    dir,
    source: "tagger",
    syncChannel: 0,
    syncRateHz: 80e6,
    rotateBytes: 1e9,
    rotateS: 0.1,
    maxTotalBytes: 1e10,
    maxAgeS: 86_400,
    maxPendingBytes: 1e9,
    ...overrides,
  };
}

/** 0.35 s of the 80 MHz source with sync tags (every 1000th pulse) on channel 0. */
const stream = new TagGenerator(new Rng(12)).generate(
  0,
  0.35e12,
  pulsedSource({ g2Zero: 0.05, transmission: 0.05, syncChannel: 0 }),
);

/** Feeds the stream in chunks, each from the epoch below its first tag, as the tagger driver does. */
function feed(recorder: TagRecorder, size = 5000) {
  for (let at = 0; at < stream.timesPs.length; at += size) {
    const times = stream.timesPs.slice(at, at + size);
    const epochPs = Math.floor(times[0]! / TWO_32) * TWO_32;
    recorder.push({
      channels: stream.channels.slice(at, at + size),
      timesPs: times.map((t) => t - epochPs),
      epochPs,
    });
  }
}

const manifest = (dir: string) =>
  readFileSync(join(dir, MANIFEST), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("raw time-tag recording", () => {
  it("rotates every 0.1 s into PTU files that read back to exactly the tags recorded, each listed with its sha256", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pb-rec-"));
    const recorder = new TagRecorder(settings(dir), logger);
    await recorder.start();
    feed(recorder);
    await recorder.stop();
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".ptu"))
      .sort();
    expect(files).toHaveLength(4); // 0.35 s from the first tag in 0.1 s files
    const lines = manifest(dir);
    expect(lines.map((l) => l.file)).toEqual(files);
    const channels: number[] = [];
    const times: number[] = [];
    for (const [i, name] of files.entries()) {
      const path = join(dir, name);
      expect(lines[i]!.sha256).toBe(createHash("sha256").update(readFileSync(path)).digest("hex"));
      expect(lines[i]!.bytes).toBe(statSync(path).size);
      const file = await openTimeTagFile(path); // refuses a header that disagrees with the data
      expect(file.info).toMatchObject({ format: "PTU", recordType: "HydraHarp 400 V2 T2", resolutionPs: 1 });
      const startPs = Number(file.info.header.tags.get("PhotonBench_TaggerStartPs"));
      for await (const chunk of file.chunks()) {
        for (const ch of chunk.channels) channels.push(ch === SYNC_CHANNEL ? 0 : ch);
        for (const t of chunk.timesPs) times.push(startPs + t);
      }
      expect(file.warnings).toEqual([]);
      expect(lines[i]!.records).toBe(file.info.records);
    }
    expect(channels).toEqual([...stream.channels]);
    expect(times).toEqual([...stream.timesPs]);
    expect(recorder.getStats()).toMatchObject({
      recordedTags: stream.channels.length,
      droppedTags: 0,
      filesClosed: 4,
    });
  });

  it("a recorded file analyses like the live source: pulsed peaks every 12.5 ns; its manifest line names the run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pb-rec-"));
    const recorder = new TagRecorder(
      settings(dir, { rotateS: 10 }),
      logger,
      undefined,
      () => "bench-20261202-100000",
    );
    await recorder.start();
    feed(recorder);
    await recorder.stop();
    const [file] = readdirSync(dir).filter((f) => f.endsWith(".ptu"));
    const a = await analyzeFile(join(dir, file!), {
      channels: [1, 2],
      windowPs: 100_000,
      binPs: 100,
      periodPs: "auto",
      force: false,
    });
    expect(a.g2.kind).toBe("pulsed");
    expect(a.g2.kind === "pulsed" && a.g2.periodPs).toBeCloseTo(12_500, -1);
    // Sync records every 1000 pulses: 80 kHz of them.
    expect(a.syncRateHz! / 80e3).toBeCloseTo(1, 2);
    const manifest = readFileSync(join(dir, "manifest.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(manifest.map((l) => l.runId)).toEqual(manifest.map(() => "bench-20261202-100000"));
  });

  it("retention deletes the oldest files beyond the size limit, and says so in the manifest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pb-rec-"));
    const recorder = new TagRecorder(
      settings(dir, { rotateS: 10, rotateBytes: 100_000, maxTotalBytes: 300_000 }),
      logger,
    );
    await recorder.start();
    feed(recorder);
    await recorder.stop();
    const lines = manifest(dir);
    const closed = lines.filter((l) => l.file);
    const deleted = lines.filter((l) => l.deleted);
    const left = readdirSync(dir).filter((f) => f.endsWith(".ptu"));
    expect(closed.length).toBeGreaterThan(5);
    expect(deleted.length).toBe(closed.length - left.length);
    expect(deleted.map((l) => l.deleted)).toEqual(closed.slice(0, deleted.length).map((l) => l.file));
    expect(left.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)).toBeLessThanOrEqual(300_000);
    expect(recorder.getStats().deletedFiles).toBe(deleted.length);
  });

  it("recovers a file a crash left unfinished: whole records only, the count patched, listed as recovered", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pb-rec-"));
    const header = ptuHeader(new Date("2026-11-25T10:00:00Z"), "crashed", 80e6, "12345");
    const words = new PtuT2Encoder(0).encode(
      stream.channels.subarray(0, 1000),
      stream.timesPs.subarray(0, 1000),
    );
    const part = join(dir, "tags-2026-11-25T10-00-00-000Z-0000.ptu");
    writeFileSync(
      `${part}.part`,
      Buffer.concat([
        header.bytes,
        Buffer.from(words.buffer, words.byteOffset, words.byteLength),
        Buffer.from([1, 2, 3]),
      ]),
    );
    const recorder = new TagRecorder(settings(dir), logger);
    await recorder.start();
    await recorder.stop();
    const file = await openTimeTagFile(part);
    expect(file.info.records).toBe(words.length);
    expect(manifest(dir)).toEqual([
      expect.objectContaining({
        file: "tags-2026-11-25T10-00-00-000Z-0000.ptu",
        records: words.length,
        recovered: true,
      }),
    ]);
  });

  it("starts a new file when the tagger's clock goes back (a restarted stream)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pb-rec-"));
    const recorder = new TagRecorder(settings(dir, { rotateS: 10 }), logger);
    await recorder.start();
    recorder.push({
      channels: Uint8Array.of(1, 2),
      timesPs: Float64Array.of(5_000_000, 6_000_000),
      epochPs: 0,
    });
    recorder.push({ channels: Uint8Array.of(1, 2), timesPs: Float64Array.of(1000, 2000), epochPs: 0 });
    await recorder.stop();
    expect(manifest(dir).map((l) => l.records)).toEqual([2, 2]);
  });
});
