/**
 * Throughput of the live time-tag path, one JSON line per measurement:
 *  - decoding tagger frames (CRC-checked) against a plain loop that only reads the records;
 *  - the simulator's photon generator (what bounds `--sim-speed`), against real time.
 * Run with `make bench`; machines are shared and noisy, so compare ratios, not seconds.
 */
import { encodeFrame, FRAME_MAX_RECORDS, TagFrameDecoder } from "../hal/devices/tagger-frames.js";
import { pulsedSource, TagGenerator } from "../sim/photons.js";
import { Rng } from "../sim/random.js";
import { best } from "./lib/timing.js";

// 1 M tags in full frames, the way the serial link delivers them (64 KiB reads).
const tags = 1 << 20;
const frames: Uint8Array[] = [];
for (let start = 0; start < tags; start += FRAME_MAX_RECORDS) {
  const timesPs = Float64Array.from({ length: FRAME_MAX_RECORDS }, (_, i) => (start + i) * 12_500);
  const channels = Uint8Array.from({ length: FRAME_MAX_RECORDS }, (_, i) => 1 + (i & 1));
  frames.push(
    encodeFrame({
      sequence: start / FRAME_MAX_RECORDS,
      overflow: false,
      epochPs: 0,
      endTimePs: (start + FRAME_MAX_RECORDS) * 12_500,
      channels,
      timesPs,
    }),
  );
}
const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
let at = 0;
for (const f of frames) {
  stream.set(f, at);
  at += f.length;
}
const reads: Uint8Array[] = [];
for (let i = 0; i < stream.length; i += 65_536) reads.push(stream.subarray(i, i + 65_536));

const decode = best(5, () => {
  const decoder = new TagFrameDecoder();
  let n = 0;
  for (const r of reads) for (const f of decoder.push(r)) n += f.channels.length;
  return n;
});
const baseline = best(5, () => {
  // Reads every record's time and channel with no framing, CRC or resynchronisation.
  const view = new DataView(stream.buffer);
  let n = 0;
  let sum = 0;
  for (let f = 0; f < frames.length; f++) {
    const base = f * (18 + 8 * FRAME_MAX_RECORDS + 2) + 18;
    for (let i = 0; i < FRAME_MAX_RECORDS; i++) {
      sum +=
        view.getUint32(base + 8 * i, true) + (view.getUint32(base + 8 * i + 4, true) & 0xffffff) * 4294967296;
      n++;
    }
  }
  return sum > 0 ? n : 0;
});
console.log(
  JSON.stringify({
    bench: "tagger-frame-decode",
    tags: decode.result,
    tagsPerS: Math.round(decode.result / decode.seconds),
    baselineTagsPerS: Math.round(baseline.result / baseline.seconds),
    ratioToBaseline: Number((baseline.seconds / decode.seconds).toFixed(3)),
  }),
);

// The default simulated bench: 80 MHz, two SNSPDs at ~60 kcps each, 80 kHz of sync.
const source = pulsedSource({
  photonsPerPulse: 0.316,
  g2Zero: 0.02,
  transmission: 0.006,
  detectors: [
    { channel: 1, efficiency: 0.84, darkCps: 30, delayPs: 0 },
    { channel: 2, efficiency: 0.84, darkCps: 30, delayPs: 23_970 },
  ],
  syncChannel: 0,
});
const simSeconds = 2;
const generate = best(3, () => {
  const gen = new TagGenerator(new Rng(1));
  let n = 0;
  for (let t = 0; t < simSeconds; t += 0.01)
    n += gen.generate(Math.round(t * 1e12), Math.round((t + 0.01) * 1e12), source).channels.length;
  return n;
});
console.log(
  JSON.stringify({
    bench: "sim-tag-generation",
    simSeconds,
    tags: generate.result,
    tagsPerS: Math.round(generate.result / generate.seconds),
    realTimeFactor: Number((simSeconds / generate.seconds).toFixed(2)),
  }),
);
