/**
 * The live correlator at 2 × 5 Mcps in real time (issue: "the worker sustains a 2 × 5 Mcps stream
 * with no growing backlog; measure it"). Tags are handed to the CorrelationService at exactly
 * 10 M tags/s of wall time, in 10 ms slices, through the built worker, with the histogram the
 * target names (±500 ns, 1 ns bins). Each second it samples the backlog (tags handed over but not
 * yet correlated) and the lag of a 50 ms timer on the main thread — the interlock tick's view.
 * One JSON line: the backlog per second, its growth over the run, the timer's worst lag, and the
 * same timer's worst lag while the same engine runs on the main thread instead (the baseline the
 * worker exists to avoid).
 */
import { pathToFileURL } from "node:url";
import pino from "pino";
import { LiveCorrelationEngine, twoDetectorSettings } from "../agent/correlation/live-engine.js";
import { CorrelationService } from "../agent/services/correlation.js";
import { Rng } from "../sim/random.js";

const RATE_PER_CHANNEL = 5e6;
const SECONDS = Number(process.env.LIVE_BENCH_S ?? 10);
const SLICE_MS = 10;
const TWO_32 = 2 ** 32;
/** One replayed block: 24 · 2^32 ps ≈ 0.103 s of tags, re-sent with the epoch moved on. */
const BLOCK_PS = 24 * TWO_32;

const rng = new Rng(4);
const blockTimes: number[] = [];
const blockChannels: number[] = [];
for (
  let t = rng.exponential(1e12 / (2 * RATE_PER_CHANNEL));
  t < BLOCK_PS;
  t += rng.exponential(1e12 / (2 * RATE_PER_CHANNEL))
) {
  blockTimes.push(Math.round(t));
  blockChannels.push(rng.uniform() < 0.5 ? 1 : 2);
}
const times = Float64Array.from(blockTimes);
const channels = Uint8Array.from(blockChannels);
const tagsPerSlice = Math.round((2 * RATE_PER_CHANNEL * SLICE_MS) / 1000);

const settings = twoDetectorSettings(1e12, { windowPs: 500_000, binPs: 1000, periodPs: "cw" });

/** Sends the next `count` tags of the endless replay to `sink`. */
function replay() {
  let at = 0;
  let epoch = 0;
  return (
    count: number,
    sink: (c: { channels: Uint8Array; timesPs: Float64Array; epochPs: number }) => void,
  ) => {
    let left = count;
    while (left > 0) {
      const take = Math.min(left, times.length - at);
      sink({
        channels: channels.subarray(at, at + take),
        timesPs: times.subarray(at, at + take),
        epochPs: epoch,
      });
      at += take;
      left -= take;
      if (at === times.length) {
        at = 0;
        epoch += BLOCK_PS;
      }
    }
  };
}

/** Runs `feed` every slice for `seconds`; returns the worst lag of a 50 ms timer meanwhile and per-second samples. */
async function paced(seconds: number, feed: () => void, sample: () => number) {
  let worstLagMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worstLagMs = Math.max(worstLagMs, now - last - 50);
    last = now;
  }, 50);
  const samples: number[] = [];
  const start = performance.now();
  let slices = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = start + slices * SLICE_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    feed();
    slices++;
    if (slices % (1000 / SLICE_MS) === 0) samples.push(sample());
  }
  clearInterval(timer);
  return { worstLagMs, samples, slices };
}

const service = new CorrelationService(
  settings,
  pathToFileURL("dist/agent/correlation/correlation-worker.js"),
  () => {},
  pino({ level: "silent" }),
  { maxBacklogTags: 1e9 },
);
service.start();
const next = replay();
const worker = await paced(
  SECONDS,
  () => next(tagsPerSlice, (c) => service.push(c)),
  () => service.getStats().backlogTags,
);
const stats = service.getStats();
await service.stop();

const engine = new LiveCorrelationEngine(settings);
const inline = replay();
const mainThread = await paced(
  Math.min(3, SECONDS),
  () => inline(tagsPerSlice, (c) => engine.push(c)),
  () => 0,
);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const half = Math.floor(worker.samples.length / 2);
console.log(
  JSON.stringify({
    bench: "live-correlation-2x5Mcps-500ns-1ns",
    seconds: SECONDS,
    offeredTagsPerS: Math.round((worker.slices * tagsPerSlice) / SECONDS),
    correlatedTags: stats.tagsCorrelated,
    droppedTags: stats.droppedTags,
    backlogTagsEachS: worker.samples,
    // Mean backlog of the second half minus the first, per second between them: ≈ 0 when keeping up.
    backlogGrowthTagsPerS: Math.round(
      (mean(worker.samples.slice(half)) - mean(worker.samples.slice(0, half))) / Math.max(1, half),
    ),
    maxBacklogTags: stats.maxBacklogTags,
    timerWorstLagMs: Number(worker.worstLagMs.toFixed(1)),
    baselineMainThreadTimerWorstLagMs: Number(mainThread.worstLagMs.toFixed(1)),
  }),
);
