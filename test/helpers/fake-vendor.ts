/**
 * The fake vendor libraries (test/fixtures/fake-vendor/*.c) built into shared objects with the
 * machine's C compiler, so the agent loads them through the real FFI path. `.ci/run` installs the
 * compiler; here a missing one fails the test with that reason.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
