import { describe, expect, it } from "vitest";
import {
  crc16Ccitt,
  encodeFrame,
  type TagFrame,
  TagFrameDecoder,
} from "../../../hal/devices/tagger-frames.js";

const frame = (sequence: number, times: number[], channels?: number[]): TagFrame => ({
  sequence,
  overflow: false,
  epochPs: 0,
  endTimePs: (times.at(-1) ?? 0) + 1,
  channels: Uint8Array.from(channels ?? times.map((_, i) => i % 3)),
  timesPs: Float64Array.from(times),
});

describe("tagger frames", () => {
  it("uses CRC-16/CCITT-FALSE (check value 0x29B1 for '123456789')", () => {
    expect(crc16Ccitt(new TextEncoder().encode("123456789"))).toBe(0x29b1);
  });

  it("round-trips times above 2^32 ps exactly, split across arbitrary chunk boundaries", () => {
    const times = [1, 4_294_967_296 + 7, 2 ** 52 + 3, 2 ** 53 - 2];
    const bytes = new Uint8Array([...encodeFrame(frame(0, times)), ...encodeFrame(frame(1, [2 ** 53 - 2]))]);
    const decoder = new TagFrameDecoder();
    const frames = [bytes.subarray(0, 7), bytes.subarray(7, 40), bytes.subarray(40)].flatMap((c) =>
      decoder.push(c),
    );
    expect(frames.map((f) => [...f.timesPs].map((t) => f.epochPs + t))).toEqual([times, [2 ** 53 - 2]]);
    expect([...frames[0]!.channels]).toEqual([0, 1, 2, 0]);
    expect(decoder.counters).toMatchObject({
      frames: 2,
      records: 5,
      badFrames: 0,
      skippedBytes: 0,
      lostFrames: 0,
    });
  });

  it("keeps every picosecond exact for 30 hours: past 2^53 ps (2.5 h) by its epoch, past the 56-bit record wrap (20 h) by the frame's end time", () => {
    const decoder = new TagFrameDecoder();
    const TWO_32 = 2n ** 32n;
    for (let hour = 0n; hour <= 30n; hour++) {
      // Three tags 1 ps and 7 ps apart at each hour, and a frame end just after them.
      const absolute = [0n, 1n, 8n].map((d) => hour * 3_600_000_000_000_000n + 123_456_789n + d);
      const epoch = (absolute[0]! / TWO_32) * TWO_32;
      const bytes = encodeFrame({
        sequence: Number(hour),
        overflow: false,
        epochPs: Number(epoch),
        endTimePs: Number(absolute[2]! - epoch + 1n),
        channels: Uint8Array.from([1, 2, 1]),
        timesPs: Float64Array.from(absolute, (t) => Number(t - epoch)),
      });
      const [decoded] = decoder.push(bytes);
      const back = [...decoded!.timesPs].map((t) => BigInt(decoded!.epochPs) + BigInt(t));
      expect(back).toEqual(absolute);
      expect(decoded!.timesPs[1]! - decoded!.timesPs[0]!).toBe(1);
      expect(Math.abs(decoded!.timesPs[2]!)).toBeLessThan(2 ** 53);
    }
    expect(decoder.counters.badFrames).toBe(0);
  });

  it("skips noise, rejects a corrupted frame, resynchronises, and counts a gap in the sequence", () => {
    const good1 = encodeFrame(frame(10, [100, 200]));
    const bad = encodeFrame(frame(11, [300]));
    bad[20] = bad[20]! ^ 0xff; // flip bits inside the record
    const good2 = encodeFrame(frame(12, [400]));
    const decoder = new TagFrameDecoder();
    const frames = decoder.push(new Uint8Array([0x00, 0x41, ...good1, ...bad, ...good2]));
    expect(frames.map((f) => f.sequence)).toEqual([10, 12]);
    expect(decoder.counters.badFrames).toBeGreaterThanOrEqual(1);
    expect(decoder.counters.lostFrames).toBe(1);
    expect(decoder.counters.records).toBe(3);
  });
});
