/**
 * `photon-bench analyze` end to end, whole processes (make bench), on files written here from the
 * simulator (two independent 5 Mcps Poisson streams, HydraHarp V2 T2 PTU; kept in the temporary
 * folder between runs):
 *  - against the yardstick a lab would write: numba decode + correlate (bench/numba/
 *    decode_correlate.py, import and compile cache included), ±500 ns in 1 ns bins on the 2 s file,
 *    with every core (target ≥ 1.5× faster) and with `--threads 1` (target ≥ 1.0×); the contenders
 *    run in turn, round by round, and the pair counts are checked equal;
 *  - memory: the peak resident size on 2 s, 8 s and 20 s files (constant in file size).
 * One JSON line each. Without python3 and numba (Debian: python3-numba) the comparison says so.
 * ARGS: --rounds N (default 7), --no-memory.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { paired, summary } from "./lib/paired.js";
import { BENCH_DIR, poissonFile } from "./lib/synthetic-files.js";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] || 7) || 7;
const dir = BENCH_DIR;

/** Runs a command; its wall seconds, stdout and peak RSS (MB) when it reports one. */
function run(command: string, argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const t0 = performance.now();
  const out = spawnSync(command, argv, { encoding: "utf8", env, maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (out.status !== 0) throw new Error(`${command} ${argv.join(" ")}: exit ${out.status}\n${out.stderr}`);
  return { seconds, stdout: out.stdout, stderr: out.stderr };
}

const CLI = "dist/agent/cli.js";
/** analyze under a wrapper that prints the process's peak RSS (worker threads included) to stderr. */
const PEAK = "dist/bench/lib/peak-rss.js";
const analyzeArgs = (file: string, extra: string[]) => [
  PEAK,
  CLI,
  "analyze",
  file,
  "--window-ns",
  "500",
  "--bin-ps",
  "1000",
  ...extra,
];
const peakMb = (stderr: string) => Number(/peakRssMb=(\d+(\.\d+)?)/.exec(stderr)?.[1]);

const two = poissonFile(2);

// Our pair count, from the CSV (outside the timed runs).
const csv = join(dir, "g2.csv");
const { records } = JSON.parse(
  run("node", [CLI, "analyze", two, "--window-ns", "500", "--bin-ps", "1000", "--json", "--csv", csv]).stdout,
) as { records: number };
const ourPairs = readFileSync(csv, "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .reduce((n, line) => n + Number(line.split(",")[1]), 0);

const python = ["/usr/bin/python3", "python3"].find(
  (p) => spawnSync(p, ["-c", "import numba, numpy"], { encoding: "utf8" }).status === 0,
);
if (!python) {
  console.log(
    JSON.stringify({
      bench: "analyze-vs-numba-2x5Mcps-2s",
      skipped: "python3 with numba and numpy not found (Debian: apt-get install python3-numba)",
    }),
  );
} else {
  const env = { ...process.env, NUMBA_CACHE_DIR: join(dir, "numba-cache") };
  const numbaArgs = ["bench/numba/decode_correlate.py", two, "0", "1", "500000", "1000"];
  const numbaPairs = (JSON.parse(run(python, numbaArgs, env).stdout) as { pairs: number }).pairs; // compiles and caches
  if (numbaPairs !== ourPairs) throw new Error(`pair counts differ: numba ${numbaPairs}, ours ${ourPairs}`);
  const numba = () => run(python, numbaArgs, env).seconds;
  const allCores = await paired(rounds, () => run("node", analyzeArgs(two, [])).seconds, numba);
  const oneThread = await paired(
    rounds,
    () => run("node", analyzeArgs(two, ["--threads", "1"])).seconds,
    numba,
  );
  console.log(
    JSON.stringify({
      bench: "analyze-vs-numba-2x5Mcps-2s",
      records,
      pairs: ourPairs,
      allCores: { ...summary(allCores), target: 1.5 },
      oneThread: { ...summary(oneThread), target: 1.0 },
      note: "whole processes, wall seconds; ratio = numba / ours (above 1: ours faster)",
    }),
  );
}

if (!args.includes("--no-memory")) {
  const sizes = [2, 8, 20].map((seconds) => {
    const file = poissonFile(seconds);
    const { stderr, seconds: wall } = run("node", analyzeArgs(file, []));
    return {
      seconds,
      fileMb: Math.round(statSync(file).size / 1e6),
      peakRssMb: peakMb(stderr),
      wallS: Number(wall.toFixed(2)),
    };
  });
  console.log(
    JSON.stringify({
      bench: "analyze-memory-by-file-size",
      files: sizes,
      peakGrowth20sOver2s: Number((sizes[2]!.peakRssMb / sizes[0]!.peakRssMb).toFixed(3)),
    }),
  );
}
