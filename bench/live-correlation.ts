/**
 * The live correlator at 2 × 5 Mcps in real time (issue: "the worker sustains a 2 × 5 Mcps stream
 * with no growing backlog; measure it"). Tags are handed to the CorrelationService at exactly
 * 10 M tags/s of wall time, in 10 ms slices, through the built worker, with the histogram the
 * target names (±500 ns, 1 ns bins). Each second it samples the backlog (tags handed over but not
 * yet correlated) and the lag of a 50 ms timer on the main thread — the interlock tick's view.
 * One JSON line: the backlog per second, its growth over the run, the timer's worst lag (also with
 * the pairing shared by two threads, `correlation.workers: 2`), and the
 * same timer's worst lag while the same engine runs on the main thread instead (the baseline the
 * worker exists to avoid).
 *
 * A second line: the capacity flat out — tags correlated per second while the backlog never runs
 * dry — with one pairing thread and with two (`correlation.workers`), in turn, round by round
 * (target: two ≥ 1.7× one). A Raspberry Pi 4 core is 3–5× slower than these: the one-worker
 * figure over 4 says how much of a 10 M tags/s stream one Pi core would keep.
 */
import { pathToFileURL } from "node:url";
import pino from "pino";
import { LiveCorrelationEngine, twoDetectorSettings } from "../agent/correlation/live-engine.js";
import { EventBus } from "../agent/events.js";
import { CorrelationService } from "../agent/services/correlation.js";
import { median, paired } from "./lib/paired.js";
import { twoStreamReplay } from "./lib/tag-replay.js";

const RATE_PER_CHANNEL = 5e6;
const SECONDS = Number(process.env.LIVE_BENCH_S ?? 10);
const SLICE_MS = 10;
const tagsPerSlice = Math.round((2 * RATE_PER_CHANNEL * SLICE_MS) / 1000);

const settings = twoDetectorSettings(1e12, { windowPs: 500_000, binPs: 1000, periodPs: "cw" });
const replay = twoStreamReplay(RATE_PER_CHANNEL);

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

/** The agent's correlation service on the built worker, measurements thrown away, nothing dropped. */
function startService(workers?: number): CorrelationService {
  const logger = pino({ level: "silent" });
  const started = new CorrelationService({
    settings: workers === undefined ? settings : { ...settings, workers },
    source: "tagger",
    bus: new EventBus(logger),
    logger,
    workerUrl: pathToFileURL("dist/agent/correlation/correlation-worker.js"),
    options: { maxBacklogTags: 1e9 },
  });
  void started.start();
  return started;
}

const service = startService();
const next = replay();
const worker = await paced(
  SECONDS,
  () => next(tagsPerSlice, (c) => service.push(c)),
  () => service.getStats().backlogTags,
);
const stats = service.getStats();
await service.stop();

// The same paced stream with the pairing shared with a slice worker: the main thread's timer again.
const pooled = startService(2);
const nextPooled = replay();
const withPool = await paced(
  Math.min(3, SECONDS),
  () => nextPooled(tagsPerSlice, (c) => pooled.push(c)),
  () => pooled.getStats().backlogTags,
);
await pooled.stop();

const engine = new LiveCorrelationEngine(settings);
const inline = replay();
const mainThread = await paced(
  Math.min(3, SECONDS),
  () => inline(tagsPerSlice, (c) => engine.push(c)),
  () => 0,
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Tags per second correlated flat out with `workers` pairing threads, measured over `seconds` after a warm-up. */
async function capacity(workers: number, seconds: number): Promise<number> {
  const flatOut = startService(workers);
  const feed = replay();
  const keepFed = setInterval(() => {
    while (flatOut.getStats().backlogTags < 6e6) feed(1 << 18, (c) => flatOut.push(c));
  }, 5);
  await sleep(1500);
  const c0 = flatOut.getStats().tagsCorrelated;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = flatOut.getStats().tagsCorrelated;
  const t1 = performance.now();
  clearInterval(keepFed);
  await flatOut.stop();
  return (c1 - c0) / ((t1 - t0) / 1000);
}

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
    timerWorstLagMsTwoWorkers: Number(withPool.worstLagMs.toFixed(1)),
    baselineMainThreadTimerWorstLagMs: Number(mainThread.worstLagMs.toFixed(1)),
  }),
);

const rounds = await paired(
  Number(process.env.LIVE_CAPACITY_ROUNDS ?? 5),
  async () => 1 / (await capacity(2, 3)),
  async () => 1 / (await capacity(1, 3)),
);
const one = median(rounds.baselineS.map((x) => 1 / x));
const two = median(rounds.oursS.map((x) => 1 / x));
console.log(
  JSON.stringify({
    bench: "live-correlation-capacity-500ns-1ns",
    oneWorkerTagsPerS: Math.round(one),
    twoWorkersTagsPerS: Math.round(two),
    ratio: Number(median(rounds.ratios).toFixed(3)),
    ratioMin: Number(Math.min(...rounds.ratios).toFixed(3)),
    ratioMax: Number(Math.max(...rounds.ratios).toFixed(3)),
    target: 1.7,
    piCoreEstimateTagsPerS: [Math.round(one / 5), Math.round(one / 3)],
    neededTagsPerS: 2 * RATE_PER_CHANNEL,
  }),
);
