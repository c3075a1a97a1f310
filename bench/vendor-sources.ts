/**
 * Throughput of the vendor taggers' host-side paths, against the serial tagger's frame decoder in
 * the same command (the live path the agent had; ratios, since the machines are shared and noisy):
 *  - PicoQuant: the FIFO's T2 records through the PTU decoder, epochs moved out, chunks copied
 *    (what PicoQuantTagger does per ReadFiFo);
 *  - quTAG: TDC_getLastTimestamps batches (10 ms at 4 Mcps), channels out of order in blocks of
 *    500 as the unit's buffers give them, through QutagTagger's hand-over (halves, reorder, epochs);
 *    and the same batches already in time order, for what the reordering costs;
 *  - Swabian: the sidecar's frames (10 000 tags) through SwabianTagger's frame reader.
 * One JSON line each: tags per second, and the ratio to the serial tagger's decoder.
 */
import { readFileSync } from "node:fs";
import { PtuDecoder } from "../agent/correlation/readers/ptu-records.js";
import { RECORD_TYPES } from "../agent/correlation/readers/record-types.js";
import { ByteQueue } from "../agent/sources/byte-queue.js";
import { QutagTagger } from "../agent/sources/qutag-tagger.js";
import { SwabianTagger } from "../agent/sources/swabian-tagger.js";
import { encodeFrame, FRAME_MAX_RECORDS, TagFrameDecoder } from "../hal/devices/tagger-frames.js";
import type { Logger } from "../hal/logger.js";
import { best } from "./lib/timing.js";

const TAGS = 1 << 20;
const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as unknown as Logger;
const line = (bench: string, tags: number, seconds: number, baselineTagsPerS: number) => {
  const tagsPerS = tags / seconds;
  console.log(
    JSON.stringify({
      bench,
      tags,
      tagsPerS: Math.round(tagsPerS),
      baselineTagsPerS: Math.round(baselineTagsPerS),
      ratioToBaseline: Number((tagsPerS / baselineTagsPerS).toFixed(3)),
    }),
  );
};

// Baseline: the serial tagger's frames, 64 KiB reads.
const frames: Uint8Array[] = [];
for (let start = 0; start < TAGS; start += FRAME_MAX_RECORDS) {
  const timesPs = Float64Array.from({ length: FRAME_MAX_RECORDS }, (_, i) => (start + i) * 12_500);
  const channels = Uint8Array.from({ length: FRAME_MAX_RECORDS }, (_, i) => 1 + (i & 1));
  const endTimePs = (start + FRAME_MAX_RECORDS) * 12_500;
  frames.push(
    encodeFrame({
      sequence: start / FRAME_MAX_RECORDS,
      overflow: false,
      epochPs: 0,
      endTimePs,
      channels,
      timesPs,
    }),
  );
}
const stream = Buffer.concat(frames);
const baseline = best(5, () => {
  const decoder = new TagFrameDecoder();
  let n = 0;
  for (let i = 0; i < stream.length; i += 65_536)
    for (const f of decoder.push(stream.subarray(i, i + 65_536))) n += f.channels.length;
  return n;
});
const baselineTagsPerS = baseline.result / baseline.seconds;
line("serial-tagger-frames (baseline)", baseline.result, baseline.seconds, baselineTagsPerS);

// PicoQuant: the fixture's records (HydraHarp V2 T2, 1 ps), read 131 072 at a time.
const ptu = readFileSync("test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu");
const headerEnd = ptu.indexOf("Header_End") + 48;
const words = new Uint32Array(ptu.buffer.slice(ptu.byteOffset + headerEnd, ptu.byteOffset + ptu.length));
const picoquant = best(5, () => {
  const decoder = new PtuDecoder(RECORD_TYPES.get(0x01010204)!, 1);
  let n = 0;
  for (let copy = 0; copy < 3; copy++)
    for (let i = 0; i < words.length; i += 131_072) {
      const { channels, timesPs } = decoder.decode(words.subarray(i, i + 131_072));
      decoder.takeEpochPs();
      // The source hands the listener copies (the decoder reuses its arrays).
      const chunk = { channels: channels.slice(), timesPs: timesPs.slice() };
      n += chunk.channels.length;
    }
  return n;
});
line("picoquant-fifo-records", picoquant.result, picoquant.seconds, baselineTagsPerS);

// quTAG: 40 000-record batches on a clock 3 h in, two channels.
function qutagBatches(grouped: boolean) {
  const batches: Array<{ times: BigInt64Array; channels: Uint8Array }> = [];
  const start = 3n * 3600n * 10n ** 12n;
  for (let b = 0; b < TAGS / 40_000; b++) {
    const times = new BigInt64Array(40_000);
    const channels = new Uint8Array(40_000);
    for (let i = 0; i < 40_000; i++) {
      const k = b * 40_000 + i;
      const block = k - (k % 500);
      // Grouped: in each block of 500, the 250 of channel 0 first, then the 250 of channel 1.
      const j = grouped ? block + (k % 500 < 250 ? 2 * (k % 500) : 2 * ((k % 500) - 250) + 1) : k;
      times[i] = start + BigInt(j * 250_000);
      channels[i] = j & 1;
    }
    batches.push({ times, channels });
  }
  return batches;
}
type QutagInside = { hand(listener: () => void, times: BigInt64Array, channels: Uint8Array): void };
for (const grouped of [true, false]) {
  const batches = qutagBatches(grouped);
  const run = best(5, () => {
    const tagger = new QutagTagger(
      "bench",
      {
        library: "",
        deviceId: -1,
        bufferSize: 40_000,
        pollMs: 10,
        exposureMs: 1000,
        reorderWindowPs: 10e9,
        inputs: {},
        channelNames: { 0: "a", 1: "b" },
      },
      async () => {
        throw new Error("no library in the bench");
      },
      silent,
    );
    let n = 0;
    const inside = tagger as unknown as QutagInside;
    for (const { times, channels } of batches) inside.hand(() => {}, times, channels);
    n += batches.length * 40_000;
    return n;
  });
  line(
    grouped ? "qutag-batches-out-of-order" : "qutag-batches-in-order",
    run.result,
    run.seconds,
    baselineTagsPerS,
  );
}

// Swabian: frames of 10 000 tags as the sidecar writes them, read in 64 KiB pieces.
const swabianFrames: Buffer[] = [];
for (let start = 0; start < TAGS; start += 10_000) {
  const n = Math.min(10_000, TAGS - start);
  const frame = Buffer.alloc(16 + 9 * n);
  frame.write("PBTT", 0, "latin1");
  frame.writeUInt32LE(n, 4);
  for (let i = 0; i < n; i++) {
    frame.writeBigInt64LE(BigInt((start + i) * 250_000), 16 + 8 * i);
    frame[16 + 8 * n + i] = 1 + ((start + i) & 1);
  }
  swabianFrames.push(frame);
}
const sidecarOut = Buffer.concat(swabianFrames);
type SwabianInside = { readFrames(bytes: ByteQueue, listener: (c: { channels: Uint8Array }) => void): void };
const swabian = best(5, () => {
  const settings = {
    python: "",
    serialNumber: "",
    bufferEvents: 0,
    pollMs: 10,
    startTimeoutMs: 1000,
    inputs: {},
    eventDividers: {},
    channelNames: { 1: "a", 2: "b" },
  };
  const inside = new SwabianTagger("bench", settings, silent) as unknown as SwabianInside;
  const queue = new ByteQueue();
  let n = 0;
  for (let i = 0; i < sidecarOut.length; i += 65_536) {
    queue.push(sidecarOut.subarray(i, i + 65_536));
    inside.readFrames(queue, (c) => {
      n += c.channels.length;
    });
  }
  return n;
});
line("swabian-sidecar-frames", swabian.result, swabian.seconds, baselineTagsPerS);
