/**
 * The fake vendor libraries (test/fixtures/fake-vendor/*.c) built into shared objects with the
 * machine's C compiler, so the agent loads them through the real FFI path. `.ci/run` installs the
 * compiler; here a missing one fails the test with that reason.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTimeTagFile } from "../../agent/correlation/readers/open.js";
import type { TimeTagChunk, TimeTagSource } from "../../hal/interfaces.js";

/** The real HydraHarp T2 HBT file (test/fixtures/timetags/README.md). */
export const FIXTURE_PTU = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";

const FAKES = "test/fixtures/fake-vendor";
const built = new Map<string, string>();

/** `source` (fake-picoquant.c) compiled with `defines` into `libName`; the path of the .so. */
export function fakeVendorLibrary(
  source: string,
  libName: string,
  defines: Record<string, string> = {},
): string {
  const key = `${source}:${libName}:${JSON.stringify(defines)}`;
  const cached = built.get(key);
  if (cached) return cached;
  const out = join(mkdtempSync(join(tmpdir(), "fake-vendor-")), libName);
  const flags = Object.entries(defines).map(([k, v]) => `-D${k}=${v}`);
  try {
    execFileSync(
      process.env.CC ?? "cc",
      ["-shared", "-fPIC", "-O2", "-Wall", ...flags, "-o", out, join(FAKES, source)],
      {
        stdio: "pipe",
      },
    );
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(
      `cannot build the fake ${libName} (a C compiler is needed): ${e.stderr?.toString() || e.message}`,
    );
  }
  built.set(key, out);
  return out;
}

/**
 * The fakes read their settings from the environment (this test file's process: the pool forks a
 * process per file, so the C libraries' getenv sees what is set here): the variables starting
 * with `prefix` replaced by `env`.
 */
export function setFakeEnv(prefix: string, env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (key.startsWith(prefix)) delete process.env[key];
  Object.assign(process.env, env);
}

/**
 * The HBT fixture's tags before `untilPs` as a quTAG binary file, for the fakes to stream: the
 * unit's clock at `firstTagPs` on the first tag; with `grouped`, each block of 500 records written
 * channel by channel, as a quTAG's buffers come out (not in time order across channels).
 */
export async function fixtureAsQutag(options: {
  untilPs: number;
  firstTagPs: bigint;
  grouped: boolean;
}): Promise<string> {
  const records: Array<[number, number]> = [];
  for await (const c of (await openTimeTagFile(FIXTURE_PTU)).chunks())
    for (let i = 0; i < c.timesPs.length; i++)
      if (c.timesPs[i]! < options.untilPs) records.push([c.timesPs[i]!, c.channels[i]!]);
  const ordered = [];
  for (let b = 0; b < records.length; b += 500) {
    const block = records.slice(b, b + 500);
    ordered.push(
      ...(options.grouped ? [...block.filter((r) => r[1] === 0), ...block.filter((r) => r[1] !== 0)] : block),
    );
  }
  const body = Buffer.alloc(40 + 10 * ordered.length);
  body.write("photon-bench test quTAG", 0, "latin1");
  const first = records[0]![0];
  ordered.forEach(([t, ch], i) => {
    body.writeBigUInt64LE(options.firstTagPs + BigInt(t - first), 40 + 10 * i);
    body.writeUInt16LE(ch, 48 + 10 * i);
  });
  const file = join(mkdtempSync(join(tmpdir(), "fixture-qutag-")), "hbt.qutag");
  await writeFile(file, body);
  return file;
}

type Tag = [timePs: number, channel: number];

/** Starts `source` and collects its chunks until its time passes `untilPs`. */
export async function streamUntil(source: TimeTagSource, untilPs: number): Promise<TimeTagChunk[]> {
  const chunks: TimeTagChunk[] = [];
  let reached: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    reached = resolve;
  });
  await source.start((chunk) => {
    chunks.push(chunk);
    if (chunk.epochPs + chunk.timesPs[chunk.timesPs.length - 1]! > untilPs) reached();
  });
  await done;
  return chunks;
}

/** The stream's tags before `beforePs`, in its own time. */
export function streamTags(chunks: readonly TimeTagChunk[], beforePs: number): Tag[] {
  const tags: Tag[] = [];
  for (const c of chunks)
    for (let i = 0; i < c.timesPs.length; i++)
      if (c.epochPs + c.timesPs[i]! < beforePs) tags.push([c.epochPs + c.timesPs[i]!, c.channels[i]!]);
  return tags;
}

/** A file's tags as `analyze` reads them, its channels mapped to the source's numbers. */
export async function fileTags(file: string, channel = (c: number) => c): Promise<Tag[]> {
  const tags: Tag[] = [];
  for await (const c of (await openTimeTagFile(file)).chunks())
    for (let i = 0; i < c.timesPs.length; i++) tags.push([c.timesPs[i]!, channel(c.channels[i]!)]);
  return tags;
}

/** Where two tag lists first differ (a length too), or -1. */
export function firstDifference(a: readonly Tag[], b: readonly Tag[]): number {
  const at = a.findIndex((t, i) => t[0] !== b[i]?.[0] || t[1] !== b[i]?.[1]);
  return at >= 0 ? at : a.length === b.length ? -1 : Math.min(a.length, b.length);
}

/**
 * A fresh file for a fake's call log (its `*_FAKE_LOG` variable), and the calls written to it so
 * far, a line each.
 */
export function callLog(name: string): { path: string; calls(): Promise<string[]> } {
  const path = join(mkdtempSync(join(tmpdir(), `${name}-`)), "calls.txt");
  return { path, calls: async () => (await readFile(path, "utf8")).trim().split("\n") };
}
