/**
 * The benchmarks' synthetic PTU files (HydraHarp V2 T2, from sim/cw-emitter.ts), written once into
 * the temporary folder and kept between runs: the same seed gives the same bytes every time.
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CwEmitter, cwEmitterTags, poissonStreams } from "../../sim/cw-emitter.js";
import { Rng } from "../../sim/random.js";
import { writePtuT2 } from "../../sim/tag-files.js";

export const BENCH_DIR = join(tmpdir(), "photon-bench-bench");

/** `name` in the benchmarks' folder, written from `emitter` over `seconds` (seed 1) if not there yet. */
export function syntheticFile(name: string, emitter: CwEmitter, seconds: number): string {
  mkdirSync(BENCH_DIR, { recursive: true });
  const file = join(BENCH_DIR, `${name}-${seconds}s-seed1.ptu`);
  if (existsSync(file)) return file;
  process.stderr.write(`bench: writing ${file} …\n`);
  writePtuT2(`${file}.part`, cwEmitterTags(new Rng(1), emitter, seconds * 1e12), seconds);
  renameSync(`${file}.part`, file);
  return file;
}

/** Two independent 5 Mcps streams on channels 0 and 1 over `seconds`. */
export const poissonFile = (seconds: number) =>
  syntheticFile("poisson-2x5Mcps", poissonStreams(5e6), seconds);
