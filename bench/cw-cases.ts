/**
 * The two CW cases of issue 9, end to end (make bench): `photon-bench analyze --json` on files
 * written here from sim/cw-emitter.ts, against the exact pair count in the same bin at the true
 * zero delay, counted from the generator's own tags by two pointers (no correlator of ours):
 *  - independent 5 Mcps streams, 2 s, `--window-ns 500 --bin-ps 1000`: g2(0) = 1;
 *  - a single emitter (t = 1 ns, 2.4 Mcps + 0.1 Mcps background per detector, the second 7.3 ns
 *    late), 5 s, `--window-ns 50 --bin-ps 100`.
 * One JSON line per case: analyze's g2(0) and its bin, the exact count and its g2, and how many σ apart.
 */
import { spawnSync } from "node:child_process";
import { type CwEmitter, cwEmitterTags, poissonStreams, singleEmitter } from "../sim/cw-emitter.js";
import { exactPairs } from "../sim/pair-count.js";
import { Rng } from "../sim/random.js";
import { syntheticFile } from "./lib/synthetic-files.js";

/** Pairs with τ = t(1) − t(0) in [lo, hi) among the generator's tags (seed 1, as in the file). */
function pairsInFile(emitter: CwEmitter, seconds: number, lo: number, hi: number): number {
  const a: number[] = [];
  const b: number[] = [];
  for (const block of cwEmitterTags(new Rng(1), emitter, seconds * 1e12))
    for (let i = 0; i < block.channels.length; i++) (block.channels[i] === 0 ? a : b).push(block.timesPs[i]!);
  return exactPairs(a, b, lo, hi);
}

const cases = [
  {
    name: "poisson-2x5Mcps",
    emitter: poissonStreams(5e6),
    seconds: 2,
    windowNs: 500,
    binPs: 1000,
    delayPs: 0,
  },
  {
    name: "emitter-7300ps",
    emitter: singleEmitter([0, 1], 7300),
    seconds: 5,
    windowNs: 50,
    binPs: 100,
    delayPs: 7300,
  },
];
for (const c of cases) {
  const file = syntheticFile(c.name, c.emitter, c.seconds);
  const argv = ["analyze", file, "--window-ns", String(c.windowNs), "--bin-ps", String(c.binPs), "--json"];
  const out = spawnSync("node", ["dist/agent/cli.js", ...argv], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (out.status !== 0) throw new Error(`analyze ${file}: exit ${out.status}\n${out.stderr}`);
  const { g2 } = JSON.parse(out.stdout) as {
    g2: {
      g2Zero: number;
      g2ZeroError: number;
      centreCounts: number;
      accidentalsPerBin: number;
      zeroDelayPs: number;
      zeroDelayFrom: string;
    };
  };
  const exact = pairsInFile(c.emitter, c.seconds, c.delayPs - c.binPs / 2, c.delayPs + c.binPs / 2);
  const exactG2 = exact / g2.accidentalsPerBin;
  const exactError = Math.sqrt(exact) / g2.accidentalsPerBin;
  console.log(
    JSON.stringify({
      bench: `cw-case-${c.name}`,
      command: `photon-bench ${argv.slice(0, 1).join(" ")} FILE ${argv.slice(2).join(" ")}`,
      g2Zero: Number(g2.g2Zero.toFixed(4)),
      g2ZeroError: Number(g2.g2ZeroError.toFixed(4)),
      zeroDelayPs: g2.zeroDelayPs,
      zeroDelayFrom: g2.zeroDelayFrom,
      centreCounts: g2.centreCounts,
      exactPairsAtTrueDelay: exact,
      exactG2: Number(exactG2.toFixed(4)),
      exactG2Error: Number(exactError.toFixed(4)),
      sigmasApart: Number((Math.abs(g2.g2Zero - exactG2) / exactError).toFixed(2)),
    }),
  );
}
