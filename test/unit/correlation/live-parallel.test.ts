/**
 * The live engine on a pool of slice workers against the same engine on one thread: the same
 * stream, cut into the same periods, gives the same histograms bin for bin and the same g2(0),
 * whatever the chunks and epochs; a restart drops the partial period on the workers too.
 */
import { describe, expect, it } from "vitest";
import {
  LiveCorrelationEngine,
  type LiveSettings,
  type Measurement,
} from "../../../agent/correlation/live-engine.js";
import { ParallelHistograms } from "../../../agent/correlation/live-parallel.js";
import { workerUrl } from "../../../agent/worker-url.js";
import { cwEmitterTags, singleEmitter } from "../../../sim/cw-emitter.js";
import { pulsedSource, TagGenerator } from "../../../sim/photons.js";
import { Rng } from "../../../sim/random.js";

const settings: LiveSettings = {
  integrationPs: 20e9,
  detectors: { a: 1, b: 2 },
  syncDivider: 1,
  deadTimePs: {},
  histograms: [
    {
      name: "hbt",
      a: { detector: "a", channel: 1 },
      b: { detector: "b", channel: 2 },
      windowPs: 100_000,
      binPs: 100,
      periodPs: "auto",
    },
    {
      name: "wide",
      a: { detector: "b", channel: 2 },
      b: { detector: "a", channel: 1 },
      windowPs: 400_000,
      binPs: 1000,
      periodPs: "cw",
    },
  ],
};

function chunksOf(stream: { channels: Uint8Array; timesPs: Float64Array }, rng: Rng) {
  const out: Array<{ channels: Uint8Array; timesPs: Float64Array; epochPs: number }> = [];
  for (let at = 0; at < stream.channels.length; ) {
    const size = 1 + Math.floor(rng.uniform() * 9000);
    const times = stream.timesPs.slice(at, at + size);
    // Epochs move in steps of 2^32 ps, as the tagger decoder's do.
    const epochPs = Math.floor(times[0]! / 2 ** 32) * 2 ** 32;
    out.push({
      channels: stream.channels.slice(at, at + size),
      timesPs: times.map((t) => t - epochPs),
      epochPs,
    });
    at += size;
  }
  return out;
}

async function onWorkers(chunks: ReturnType<typeof chunksOf>, periods: number, threads: number) {
  const measured: Measurement[] = [];
  let correlated = 0;
  const histograms = new ParallelHistograms(
    settings,
    threads,
    workerUrl("slice-worker"),
    (n) => (correlated += n),
    (err) => {
      throw err;
    },
  );
  const engine = new LiveCorrelationEngine(settings, histograms, (m) => measured.push(m));
  for (const chunk of chunks) engine.push(chunk);
  // Each period gives rates and one measurement per histogram, once the workers have counted it.
  for (let waited = 0; measured.length < periods * 3 && waited < 200; waited++)
    await new Promise((r) => setTimeout(r, 25));
  await histograms.close();
  return { measured, correlated };
}

describe("live correlation on a pool of slice workers", () => {
  it("publishes the same measurements as one thread, period by period (pulsed source, two histograms)", async () => {
    const source = new TagGenerator(new Rng(3)).generate(
      0,
      0.1e12,
      pulsedSource({ g2Zero: 0.1, transmission: 0.05 }),
    );
    const chunks = chunksOf(source, new Rng(4));
    const local = new LiveCorrelationEngine(settings);
    const expected = chunks.flatMap((c) => local.push(c));
    expect(expected).toHaveLength(4 * 3);
    const { measured, correlated } = await onWorkers(chunks, 4, 3);
    expect(measured.map((m) => m.name)).toEqual(expected.map((m) => m.name));
    expect(measured).toEqual(expected);
    // Every tag of the four whole periods was correlated (the fifth, open period's are in flight or queued).
    expect(correlated).toBeGreaterThan(0.75 * source.channels.length);
  });

  it("CW: the fitted dip and the centred g2(0) of the emitter agree with one thread", async () => {
    const blocks = [...cwEmitterTags(new Rng(5), singleEmitter([1, 2]), 0.05e12)];
    const stream = {
      channels: Uint8Array.from(blocks.flatMap((b) => [...b.channels])),
      timesPs: Float64Array.from(blocks.flatMap((b) => [...b.timesPs])),
    };
    const chunks = chunksOf(stream, new Rng(6));
    const local = new LiveCorrelationEngine(settings);
    const expected = chunks.flatMap((c) => local.push(c));
    const { measured } = await onWorkers(chunks, 2, 2);
    expect(measured).toEqual(expected);
    const wide = measured.find((m) => m.name === "wide")!.payload.g2 as { zeroDelayFrom: string };
    expect(wide.zeroDelayFrom).toBe("fit");
  });
});
