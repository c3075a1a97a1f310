/**
 * The built correlation worker under full load: two 5 Mcps streams, ±500 ns at 1 ns bins, handed
 * over as fast as the main thread can, while the real interlock service ticks every 50 ms on the
 * main thread: every tag is correlated (the tick's lag is a figure of bench/live-correlation.ts).
 */
import { pathToFileURL } from "node:url";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { twoDetectorSettings } from "../../agent/correlation/live-engine.js";
import { EventBus, type MeasurementEvent } from "../../agent/events.js";
import { CorrelationService } from "../../agent/services/correlation.js";
import { InterlockService } from "../../agent/services/interlocks.js";
import { LatestReadings } from "../../agent/services/latest-readings.js";
import type { Laser } from "../../hal/interfaces.js";
import { poissonPair } from "../helpers/poisson-streams.js";

const WORKER = pathToFileURL("dist/agent/correlation/correlation-worker.js");
const TICK_MS = 50;
const TWO_32 = 2 ** 32;

/**
 * Hands 2 × 5 Mcps to the service on `workers` pairing threads as fast as the main thread can,
 * while the real interlock service ticks every 50 ms, and waits until every tag is correlated.
 */
async function underLoad(workers: number) {
  // 0.1 s of 2 × 5 Mcps (1 M tags), replayed 20 times, each replay 24 · 2^32 ps (0.103 s) later;
  // made before the clock starts, so only the correlation load is measured.
  const block = poissonPair(9, 5e6, 0.1e12);
  const logger = pino({ level: "silent" });
  const settings = {
    ...twoDetectorSettings(0.1e12, { windowPs: 500_000, binPs: 1000, periodPs: "cw" }),
    workers,
  };
  const measurements: MeasurementEvent[] = [];
  const bus = new EventBus(logger);
  bus.on("measurement", (m) => measurements.push(m));
  const service = new CorrelationService({
    settings,
    source: "tagger",
    bus,
    logger,
    workerUrl: WORKER,
    options: { maxBacklogTags: 1e9 },
  });
  const laser = { setInterlockPermit: async () => {}, setEmission: async () => {} } as unknown as Laser;
  const interlocks = new InterlockService({
    rules: [{ name: "door", inputs: ["door"], temperatures: [], safe: { lasers: ["laser"], detectors: [] } }],
    devices: {
      inputs: new Map([
        [
          "door",
          {
            name: "door",
            readTripped: async () => false,
            watch: () => () => {},
            readTelemetry: async () => ({}),
          },
        ],
      ]),
      lasers: new Map([["laser", laser]]),
      detectors: new Map(),
    },
    latest: new LatestReadings(),
    bus,
    periodMs: TICK_MS,
    logger,
  });
  await interlocks.start();
  const tickingSinceMs = performance.now();
  await service.start();
  const replays = 20;
  const chunk = 8192;
  for (let r = 0; r < replays; r++) {
    for (let at = 0; at < block.channels.length; at += chunk) {
      service.push({
        channels: block.channels.subarray(at, at + chunk),
        timesPs: block.timesPs.subarray(at, at + chunk),
        epochPs: r * 24 * TWO_32,
      });
      if ((at / chunk) % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const total = replays * block.channels.length;
  // On several threads the last slice (one batch handed to the worker, at most 64 Ki tags)
  // waits for the window after it, which never comes.
  const owed = workers > 1 ? 1 << 16 : 0;
  const started = Date.now();
  while (service.getStats().tagsCorrelated < total - owed && Date.now() - started < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    service.flush();
  }
  const stats = service.getStats();
  const tick = await interlocks.readTelemetry();
  const tickingMs = performance.now() - tickingSinceMs;
  await interlocks.stop();
  await service.stop();
  return { stats, tick, tickingMs, measurements, total, owed };
}

/** What holds on any number of threads: every tag correlated, none dropped, the periods and g2 right. */
function expectAllCorrelated({
  stats,
  tick,
  tickingMs,
  measurements,
  total,
  owed,
}: Awaited<ReturnType<typeof underLoad>>) {
  expect(stats.tagsCorrelated).toBeGreaterThanOrEqual(total - owed);
  expect(stats.tagsCorrelated).toBeLessThanOrEqual(total);
  expect(stats.droppedTags).toBe(0);
  expect(stats.maxBacklogTags).toBeGreaterThan(1_000_000); // the worker really was behind: full load
  // The interlock loop kept ticking beside the worker: at least a quarter of the ticks its period
  // allows over the time it ran (a count against that time, not against a fixed duration, which
  // a fast machine finishes within ten ticks).
  expect(tick.ticks as number).toBeGreaterThanOrEqual(Math.max(1, Math.floor(tickingMs / TICK_MS / 4)));
  // Each replay's 0.1 s is one period apart from the next: 19 whole periods closed.
  expect(measurements.filter((m) => m.name === "hbt").length).toBeGreaterThanOrEqual(18);
  const first = measurements.find((m) => m.name === "hbt")!;
  // Uncorrelated streams: g2(0) is 1 within its error.
  const g2 = first.g2 as { g2Zero: number; g2ZeroError: number };
  expect(Math.abs(g2.g2Zero - 1)).toBeLessThan(4 * g2.g2ZeroError);
}

describe("correlation worker under load", () => {
  it("correlates 2 × 5 Mcps beside the ticking interlock service, and loses no tag", async () => {
    // The tick's lag under this load is a figure: bench/live-correlation.ts (timerWorstLagMs).
    const run = await underLoad(1);
    expectAllCorrelated(run);
  }, 90_000);

  it("on two pairing threads (slice workers) correlates every tag the same way", async () => {
    // The tick's lag with the pool is a figure for bench/live-correlation.ts, not a test.
    expectAllCorrelated(await underLoad(2));
  }, 90_000);

  it("a killed worker raises correlation-worker, is restarted, and the next periods are measured again", async () => {
    const logger = pino({ level: "silent" });
    const bus = new EventBus(logger);
    const measurements: MeasurementEvent[] = [];
    const alarms: Array<{ name: string; active: boolean }> = [];
    bus.on("measurement", (m) => measurements.push(m));
    bus.on("alarm", (a) => alarms.push(a));
    const settings = twoDetectorSettings(0.1e12, { windowPs: 500_000, binPs: 1000, periodPs: "cw" });
    const service = new CorrelationService({ settings, source: "tagger", bus, logger, workerUrl: WORKER });
    await service.start();
    const block = poissonPair(3, 1e6, 0.1e12);
    const feed = async (replay: number) => {
      service.push({ channels: block.channels, timesPs: block.timesPs, epochPs: replay * 24 * TWO_32 });
      service.flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 400 && !what(); i++) await feed(replay++);
      expect(what()).toBe(true);
    };
    let replay = 0;
    await until(() => service.getStats().running && measurements.length > 0);
    await service.workerThread!.terminate();
    await until(() => alarms.some((a) => a.name === "correlation-worker" && a.active));
    const before = measurements.length;
    await until(() => alarms.some((a) => a.name === "correlation-worker" && !a.active));
    await until(() => measurements.length > before);
    expect(service.getStats()).toMatchObject({ running: true, workerRestarts: 1 });
    await service.stop();
  }, 60_000);
});
