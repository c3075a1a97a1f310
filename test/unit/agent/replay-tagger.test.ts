import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { ReplayTagger } from "../../../agent/sources/replay-tagger.js";
import type { TimeTagChunk } from "../../../hal/interfaces.js";
import { writePtu } from "../../helpers/ptu-synth.js";

const logger = pino({ level: "silent" });
const HYDRAHARP_T2 = { code: 0x01010204, mode: "T2" as const, picoharp: false, singleWrap: false };

/** Four tags over 0.75 s of a 1 ps-resolution T2 file: (channel, time ps). */
const TAGS: Array<[number, number]> = [
  [0, 100],
  [1, 1_000_000_000],
  [0, 500_000_000_000],
  [1, 750_000_000_000],
];

function file(): string {
  const path = join(mkdtempSync(join(tmpdir(), "pb-replay-")), "four.ptu");
  writePtu(
    path,
    HYDRAHARP_T2,
    TAGS.map(([channel, time]) => ({ channel, time })),
    { globalResolutionS: 1e-12 },
  );
  return path;
}

const until = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
};

describe("ReplayTagger", () => {
  it("plays copy k at k × loopEveryS of tagger time (default: the file's length rounded up to a second), epochs multiples of 2^32 ps", async () => {
    const tagger = new ReplayTagger(
      "tagger",
      { file: file(), speed: 1000, loop: true, channelNames: { 0: "detectorA", 1: "detectorB" } },
      logger,
    );
    const seen: Array<[number, number]> = [];
    await tagger.start((chunk: TimeTagChunk) => {
      expect(chunk.epochPs % 2 ** 32).toBe(0);
      for (let i = 0; i < chunk.channels.length; i++)
        seen.push([chunk.channels[i]!, chunk.epochPs + chunk.timesPs[i]!]);
    });
    await until(() => seen.length >= 12);
    await tagger.stop();
    const expected = [0, 1, 2].flatMap((k) => TAGS.map(([c, t]) => [c, k * 1e12 + t]));
    expect(seen.slice(0, 12)).toEqual(expected);
    const telemetry = await tagger.readTelemetry();
    expect(telemetry.loops).toBeGreaterThanOrEqual(2);
    expect(telemetry.finished).toBe(false);
  });

  it("without loop it ends quiet but alive (not restarted); a file longer than loopEveryS is a fault it reports", async () => {
    const once = new ReplayTagger(
      "tagger",
      { file: file(), speed: 1000, loop: false, channelNames: { 0: "detectorA", 1: "detectorB" } },
      logger,
    );
    let tags = 0;
    await once.start((chunk) => {
      tags += chunk.channels.length;
    });
    await until(() => tags === 4);
    const before = once.lastDataAtMs!;
    await new Promise((r) => setTimeout(r, 150));
    expect(once.lastDataAtMs!).toBeGreaterThan(before); // still heartbeating after the end
    // Two tags per channel over the 0.75 s of tagger time from the stream's start to its last tag.
    expect(await once.readTelemetry()).toMatchObject({
      finished: true,
      replayedS: 0.75,
      detectorACps: 3,
      detectorBCps: 3,
      windowS: 0.75,
    });
    // Nothing more: no counts over no time.
    expect(await once.readTelemetry()).toMatchObject({ detectorACps: 0, detectorBCps: 0, windowS: 0 });
    await once.stop();

    const short = new ReplayTagger(
      "tagger",
      { file: file(), speed: 1000, loop: true, loopEveryS: 0.5, channelNames: {} },
      logger,
    );
    await short.start(() => {});
    await until(() => short.lastDataAtMs !== undefined);
    await new Promise((r) => setTimeout(r, 100));
    await short.stop();
    await expect(short.readTelemetry()).rejects.toThrow("runs 0.750 s, longer than loopEveryS 0.5 s");
  });

  it("a file it cannot open rejects start, naming it", async () => {
    const missing = new ReplayTagger(
      "tagger",
      { file: "/nonexistent/x.ptu", speed: 1, loop: false, channelNames: {} },
      logger,
    );
    await expect(missing.start(() => {})).rejects.toThrow("/nonexistent/x.ptu");
    await expect(missing.readTelemetry()).rejects.toThrow("/nonexistent/x.ptu");
  });
});
