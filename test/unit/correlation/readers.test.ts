import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../../agent/correlation/analyze.js";
import { TimeTagFileError } from "../../../agent/correlation/readers/errors.js";
import { openTimeTagFile } from "../../../agent/correlation/readers/open.js";
import type { ReadOptions } from "../../../agent/correlation/readers/time-tag-file.js";
import { Rng } from "../../../sim/random.js";
import { PtuTagType, ptuHeaderBytes, writeQutag as writeQutagBlocks } from "../../../sim/tag-files.js";
import { writeLegacyPt, writeQutag } from "../../helpers/legacy-synth.js";
import { type SynthEvent, writePtu } from "../../helpers/ptu-synth.js";

const dir = mkdtempSync(join(tmpdir(), "pb-readers-"));

async function readAll(file: string, options: ReadOptions = {}) {
  const tags = await openTimeTagFile(file, { chunkRecords: 97, ...options });
  const channels: number[] = [];
  const times: number[] = [];
  const dtimes: number[] = [];
  for await (const chunk of tags.chunks()) {
    channels.push(...chunk.channels);
    times.push(...chunk.timesPs);
    if (chunk.dtimesPs) dtimes.push(...chunk.dtimesPs);
  }
  return { tags, channels, times, dtimes };
}

describe("legacy PicoHarp .pt3 and .pt2", () => {
  const rng = new Rng(303);
  // 40 MHz sync, 25 000 ps period; 8 ps dtime bins; photons on inputs 1–2 (channels 0–1).
  const events: SynthEvent[] = [];
  let nsync = 0;
  for (let i = 0; i < 2000; i++) {
    nsync += 1 + Math.floor(rng.uniform() * (i % 100 === 0 ? 200_000 : 300));
    events.push({ channel: i % 2, time: nsync, dtime: Math.floor(rng.uniform() * 3125) });
  }

  it("a .pt3 decodes to the same tags as the same records in a PTU file: nsync·25 000 ps + dtime·8 ps", async () => {
    const pt3 = join(dir, "run.pt3");
    writeLegacyPt(pt3, events, {
      mode: "T3",
      syncRateHz: 40_000_000,
      resolutionNs: 0.008,
      acquisitionMs: 1000,
    });
    const ptu = join(dir, "run-as.ptu");
    writePtu(ptu, { code: 0x00010303, mode: "T3", picoharp: true, singleWrap: false }, events, {
      globalResolutionS: 25e-9,
      resolutionS: 8e-12,
      syncRateHz: 40e6,
    });
    const legacy = await readAll(pt3);
    const modern = await readAll(ptu);
    expect(legacy.tags.info).toMatchObject({
      format: "PT3",
      recordType: "PicoHarp 300 T3",
      records: modern.tags.info.records,
      resolutionPs: 8,
      syncPeriodPs: 25_000,
      syncRateHz: 40_000_000,
      acquisitionTimeS: 1,
    });
    expect(legacy.times).toEqual(modern.times);
    expect(legacy.channels).toEqual(modern.channels);
    expect(legacy.times[0]).toBe(events[0]!.time * 25_000 + events[0]!.dtime! * 8);
    expect(legacy.tags.counters!.overflows).toBeGreaterThan(5);
  });

  it("a .pt2 decodes at 4 ps per unit", async () => {
    const file = join(dir, "run.pt2");
    const t2: SynthEvent[] = events.map((e) => ({ channel: e.channel, time: e.time * 3 }));
    writeLegacyPt(file, t2, { mode: "T2", imageHeaderWords: 3 });
    const { tags, times, channels } = await readAll(file);
    expect(tags.info).toMatchObject({ format: "PT2", mode: "T2", resolutionPs: 4 });
    expect(times).toEqual(t2.map((e) => e.time * 4));
    expect(channels).toEqual(t2.map((e) => e.channel));
  });

  it("refuses format version 1.x, histogram files, a wrong record count and input 0, each by name", async () => {
    const v1 = join(dir, "v1.pt3");
    writeLegacyPt(v1, events, { mode: "T3", syncRateHz: 40e6, version: "1.0" });
    await expect(openTimeTagFile(v1)).rejects.toThrow('format version "1.0"');
    const histo = join(dir, "histo.pt3");
    writeLegacyPt(histo, events, { mode: "T3", syncRateHz: 40e6, measMode: 0 });
    await expect(openTimeTagFile(histo)).rejects.toThrow("measurement mode 0: a PicoHarp histogram file");
    const count = join(dir, "count.pt3");
    writeLegacyPt(count, events, { mode: "T3", syncRateHz: 40e6, declaredRecords: 7 });
    await expect(openTimeTagFile(count)).rejects.toThrow("the header declares 7 records");
    const input0 = join(dir, "input0.pt3");
    writeLegacyPt(input0, [{ channel: -1, time: 5, dtime: 1 }], { mode: "T3", syncRateHz: 40e6 });
    const err = await readAll(input0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeTagFileError);
    expect((err as Error).message).toContain("names PicoHarp input 0");
  });
});

describe("quTAG .qutag", () => {
  /** Two channels at ~1 Mcps each, written as the quTAG does: each channel's buffer of 50 tags in turn. */
  function blocky(seed: number) {
    const rng = new Rng(seed);
    const perChannel = [0, 1].map((channel) => {
      let t = 1_000_000;
      return Array.from({ length: 3000 }, () => {
        t += Math.max(1, Math.round(rng.exponential(1e-6)));
        return { timePs: t, channel };
      });
    });
    const written: Array<{ timePs: number; channel: number }> = [];
    for (let block = 0; block < 60; block++)
      for (const list of perChannel) written.push(...list.slice(block * 50, block * 50 + 50));
    return written;
  }

  it("puts records written channel-buffer by channel-buffer back in exact time order", async () => {
    const written = blocky(7);
    const file = join(dir, "blocks.qutag");
    writeQutag(file, written);
    const sorted = [...written].sort((a, b) => a.timePs - b.timePs);
    const { tags, times, channels } = await readAll(file, { chunkRecords: 37 });
    expect(tags.info).toMatchObject({ format: "quTAG", records: 6000, resolutionPs: 1 });
    expect(times).toEqual(sorted.map((r) => r.timePs));
    expect(channels).toEqual(sorted.map((r) => r.channel));
    expect(tags.counters!.photons).toEqual([3000, 3000]);
    expect(tags.counters!.reordered).toBeGreaterThan(1000);
    expect(tags.warnings).toEqual([]);
  });

  it("refuses a record later than the reorder window; --force drops it, counts it and says so", async () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({ timePs: 1e9 * (i + 1), channel: i % 2 }));
    records.splice(900, 0, { timePs: 5e9, channel: 0 }); // 895 ms late against a 10 ms window
    const file = join(dir, "late.qutag");
    writeQutag(file, records);
    const err = await readAll(file, { chunkRecords: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeTagFileError);
    expect((err as TimeTagFileError).contradiction).toBe(true);
    expect((err as Error).message).toMatch(/\d+ ps older than records already released/);
    const forced = await readAll(file, { chunkRecords: 100, force: true });
    expect(forced.times).toHaveLength(1000);
    expect(forced.tags.counters!.dropped).toBe(1);
    expect(forced.tags.warnings).toContain("1 records arrived too far out of time order and were dropped");
  });

  it("refuses stray bytes and impossible channels; an unknown file is named as such", async () => {
    const stray = join(dir, "stray.qutag");
    writeQutag(stray, [{ timePs: 5, channel: 1 }], "xyz");
    await expect(openTimeTagFile(stray)).rejects.toThrow("3 stray bytes after the last whole 10-byte record");
    const channel = join(dir, "channel.qutag");
    writeQutag(channel, [{ timePs: 5, channel: 300 }]);
    await expect(readAll(channel)).rejects.toThrow("names channel 300");
    const notes = join(dir, "notes.txt");
    writeFileSync(notes, "lab notes");
    await expect(openTimeTagFile(notes)).rejects.toThrow('not a time-tag file we read (magic "lab notes")');
  });

  it("analyze reads a quTAG file: counts and the coincidences of a fixed 2 ns delay", async () => {
    // Channel 1 repeats every channel-0 tag 2000 ps later: every pair sits in the bin at +2 ns.
    const records: Array<{ timePs: number; channel: number }> = [];
    for (let i = 0; i < 500; i++) {
      const t = 1e6 * (i + 1) + (i % 7) * 1000;
      records.push({ timePs: t + 2000, channel: 1 }, { timePs: t, channel: 0 }); // written out of order
    }
    const file = join(dir, "delay.qutag");
    writeQutag(file, records);
    const a = await analyzeFile(file, { windowPs: 10_000, binPs: 1000, periodPs: "auto", force: false });
    expect(a.format).toBe("quTAG");
    expect(a.photons).toEqual({ "0": 500, "1": 500 });
    const atTwoNs = a.histogram.counts[(10_000 + 2000) / 1000]!;
    expect(atTwoNs).toBe(500);
    expect(a.histogram.counts.reduce((x, y) => x + y, 0)).toBe(500);
  });

  it("counts times from the file's start, so a file whose clock reads 72 h is exact to the picosecond", async () => {
    // Tags over 5 s at odd picosecond times, the device clock at 72 h + 123 456 789 ps when they start.
    const rng = new Rng(72);
    const relative: number[] = [];
    for (let t = 10_000_000_000; relative.length < 20_000; t += 1 + Math.floor(rng.uniform() * 500_000_000))
      relative.push(t);
    const start = 72n * 3_600_000_000_000_000n + 123_456_789n;
    const file = join(dir, "late-clock.qutag");
    writeQutagBlocks(
      file,
      [{ channels: Uint8Array.from(relative, (_, i) => i % 2), timesPs: Float64Array.from(relative) }],
      start,
    );
    const { tags, times } = await readAll(file, { chunkRecords: 4096 });
    // The origin is the first record less the 10 ms reorder window.
    const origin = start + BigInt(relative[0]!) - 10_000_000_000n;
    expect(tags.counters!.timeOriginPs).toBe(origin.toString());
    expect(times).toEqual(relative.map((t) => t - relative[0]! + 10_000_000_000));
    expect(tags.warnings).toEqual([]);
  });
});

describe("PTU files that start late in the measurement", () => {
  it("take the overflows before the first event as the time origin: times exact from there", async () => {
    // 230 overflow records of 2^25 − 1 wraps each (≈ 72 h of 2^25 ps), a marker, then photons
    // 3 wraps apart at known offsets — as a HydraHarp V2 T2 file at 1 ps.
    const WRAP = 2 ** 25;
    const words: number[] = [];
    for (let i = 0; i < 230; i++) words.push((0x80000000 | (63 << 25) | (WRAP - 1)) >>> 0);
    words.push((0x80000000 | (3 << 25) | 17) >>> 0); // marker 3
    const expected: number[] = [];
    for (let k = 0; k < 50; k++) {
      const field = (k * 7_654_321) % WRAP;
      if (k > 0) words.push((0x80000000 | (63 << 25) | 3) >>> 0);
      words.push((((k % 2) << 25) | field) >>> 0);
      expected.push(3 * k * WRAP + field);
    }
    const file = join(dir, "late-start.ptu");
    writeFileSync(
      file,
      Buffer.concat([
        ptuHeaderBytes([
          ["TTResultFormat_TTTRRecType", -1, PtuTagType.Int8, 0x01010204],
          ["MeasDesc_GlobalResolution", -1, PtuTagType.Float8, 1e-12],
          ["TTResult_NumberOfRecords", -1, PtuTagType.Int8, words.length],
        ]),
        Buffer.from(Uint32Array.from(words).buffer),
      ]),
    );
    const { tags, times } = await readAll(file, { chunkRecords: 64 });
    expect(times).toEqual(expected);
    expect(tags.counters!.timeOriginPs).toBe((230n * BigInt(WRAP - 1) * BigInt(WRAP)).toString());
    expect(tags.counters).toMatchObject({ records: words.length, markers: 1, overflowRecords: 230 + 49 });
    expect(tags.warnings).toEqual([]);
  });
});
