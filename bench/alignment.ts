/**
 * Alignment scenarios on the simulated bench (make bench-alignment), one JSON line each:
 *   offset-5um   start 5 µm off in x and y: fraction of peak after search + peak (target ≥ 95 % in ≤ 200 samples)
 *   drift-1h     track one simulated hour of a ±A thermal cycle (20 min period, peak speed
 *                --drift-um-per-s, default 0.05) plus a random walk: mean fraction of the true peak (target ≥ 98 %)
 *   knock-20um   a 20 µm knock while tracking: time back to ≥ 95 % (target ≤ 2 s)
 *   first-light  start anywhere in the 90 × 90 µm travel: time to ≥ 95 % (target ≤ 30 s)
 * Options: --seed N, --drift-um-per-s X, --signal power|counts, --peak-cps N (counts at the peak),
 * --mechanics piezo|stepper (open-loop piezo with hysteresis and creep, or a stepper with backlash).
 * The fraction is the true coupling at the stage's real position (hysteresis and creep included)
 * over the peak coupling — dither loss included.
 */
import { parseArgs } from "node:util";
import pino from "pino";
import { alignerConfigOf, buildAligner } from "../agent/alignment/setup.js";
import { alignmentScenario } from "../sim/alignment-rig.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    "drift-um-per-s": { type: "string", default: "0.05" },
    signal: { type: "string", default: "power" },
    "peak-cps": { type: "string", default: "50000" },
    mechanics: { type: "string", default: "piezo" },
  },
});
const seed = Number(values.seed);
const driftUmPerS = Number(values["drift-um-per-s"]);
const signalKind = values.signal;
const peakCps = Number(values["peak-cps"]);
const mechanics = values.mechanics;
if (
  !Number.isInteger(seed) ||
  !(driftUmPerS >= 0) ||
  !(peakCps > 0) ||
  (signalKind !== "power" && signalKind !== "counts") ||
  (mechanics !== "piezo" && mechanics !== "stepper")
) {
  process.stderr.write(
    "usage: bench/alignment.js [--seed N] [--drift-um-per-s X] [--signal power|counts] [--peak-cps N] [--mechanics piezo|stepper]\n",
  );
  process.exit(2);
}

const logger = pino({ level: "silent" });
const counts = signalKind === "counts";

function rig(start: { x: number; y: number }, drift: boolean) {
  const { config, rig: r } = alignmentScenario({
    seed,
    signal: counts ? "counts" : "power",
    peakCps,
    mechanics: mechanics as "piezo" | "stepper",
    ...(drift ? { driftUmPerS } : {}),
    overrides: { "sim.initial.stagePositionUm": { x: start.x, y: start.y, z: 50 } },
  });
  const { aligner } = buildAligner(alignerConfigOf(config), r.io({ x: start.x, y: start.y, z: 50 }), logger);
  return { r, aligner };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const line = (scenario: string, fields: Record<string, unknown>) =>
  console.log(
    JSON.stringify({
      scenario,
      signal: signalKind,
      ...(counts ? { peakCps } : {}),
      mechanics,
      seed,
      ...fields,
    }),
  );

// offset-5um: search finds the light, peak converges; samples counted to the end of the peak fit.
{
  const { r, aligner } = rig({ x: 55, y: 55 }, false);
  await aligner.search();
  await aligner.peak();
  line("offset-5um", {
    simTimeS: Number(r.bench.timeS.toFixed(3)),
    samples: aligner.samples,
    fractionOfPeak: Number(r.trueFraction().toFixed(4)),
    meanFractionOfPeak: Number(mean(r.fractions).toFixed(4)),
    target: "≥ 0.95 within ≤ 200 samples",
  });
}

// drift-1h: from the peak, track for a simulated hour.
{
  const { r, aligner } = rig({ x: 50, y: 50 }, true);
  await aligner.peak();
  r.fractions = [];
  const t0 = r.bench.timeS;
  const state = await aligner.run(t0 + 3600);
  line("drift-1h", {
    simTimeS: Number((r.bench.timeS - t0).toFixed(1)),
    samples: aligner.samples,
    fractionOfPeak: Number(r.trueFraction().toFixed(4)),
    meanFractionOfPeak: Number(mean(r.fractions).toFixed(4)),
    minFractionOfPeak: Number(r.fractions.reduce((a, b) => Math.min(a, b), 1).toFixed(4)),
    ditherLoss: Number(state.ditherLoss.toFixed(4)),
    losses: aligner.losses,
    driftUmPerS,
    target: "mean ≥ 0.98",
  });
}

// knock-20um: track 10 s, knock, time until the true fraction is back to ≥ 95 %.
{
  const { r, aligner } = rig({ x: 50, y: 50 }, true);
  await aligner.peak();
  await aligner.run(r.bench.timeS + 10);
  r.bench.drift.knock(20);
  const knockAt = r.bench.timeS;
  r.fractions = [];
  let backAt: number | undefined;
  const samples0 = aligner.samples;
  while (r.bench.timeS < knockAt + 10 && backAt === undefined) {
    await aligner.run(r.bench.timeS + 0.05);
    if (r.trueFraction() >= 0.95) backAt = r.bench.timeS;
  }
  line("knock-20um", {
    simTimeS: Number((r.bench.timeS - knockAt).toFixed(3)),
    samples: aligner.samples - samples0,
    recoveredAfterS: backAt === undefined ? null : Number((backAt - knockAt).toFixed(3)),
    fractionOfPeak: Number(r.trueFraction().toFixed(4)),
    meanFractionOfPeak: Number(mean(r.fractions).toFixed(4)),
    target: "≥ 0.95 within ≤ 2 s",
  });
}

// first-light: a random start in the travel; time until ≥ 95 %.
{
  const pick = (i: number) => 5 + ((seed * 7919 + i * 104729) % 9001) / 100;
  const { r, aligner } = rig({ x: pick(1), y: pick(2) }, false);
  const found = await aligner.search();
  if (found) await aligner.peak();
  line("first-light", {
    start: { x: pick(1), y: pick(2) },
    simTimeS: Number(r.bench.timeS.toFixed(3)),
    samples: aligner.samples,
    fractionOfPeak: Number(r.trueFraction().toFixed(4)),
    meanFractionOfPeak: Number(mean(r.fractions).toFixed(4)),
    target: "≥ 0.95 within ≤ 30 s",
  });
}
