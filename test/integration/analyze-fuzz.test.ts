/**
 * A fuzz suite of the time-tag readers and the analysis (fast-check, seeded): 10,000 mutations of
 * small real and synthetic files — truncated, bits flipped, header bytes overwritten, a tag's
 * length made huge, records replaced by random words or zeros — each analysed in-process with and
 * without --force. Every outcome must be an analysis or a TimeTagFileError (exit 3 at the
 * command line): never another exception (a crash), never a run that does not end.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../agent/correlation/analyze.js";
import { TimeTagFileError } from "../../agent/correlation/readers/errors.js";
import { cwEmitterTags, poissonStreams } from "../../sim/cw-emitter.js";
import { Rng } from "../../sim/random.js";
import { writeQutag } from "../../sim/tag-files.js";
import { writePtu } from "../helpers/ptu-synth.js";

const dir = mkdtempSync(join(tmpdir(), "pb-fuzz-"));
/** Far beyond any run here (a few ms each): only a run that never ends reaches it. */
const HANG_MS = 10_000;

function bases(): Array<{ name: string; bytes: Buffer }> {
  const fixture = readFileSync("test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu");
  const headerBytes = fixture.indexOf(Buffer.from("Header_End")) + 48;
  const hydraharp = Buffer.concat([
    fixture.subarray(0, headerBytes),
    fixture.subarray(headerBytes, headerBytes + 4 * 600),
  ]);
  const t3File = join(dir, "base-t3.ptu");
  const rng = new Rng(5);
  let sync = 0;
  writePtu(
    t3File,
    { code: 0x01010304, mode: "T3", picoharp: false, singleWrap: false },
    Array.from({ length: 600 }, () => {
      sync += 1 + Math.floor(rng.uniform() * 40);
      return { channel: Math.floor(rng.uniform() * 2), time: sync, dtime: Math.floor(rng.uniform() * 400) };
    }),
    { globalResolutionS: 12.5e-9, resolutionS: 25e-12, syncRateHz: 80e6 },
  );
  const quTagFile = join(dir, "base.qutag");
  writeQutag(quTagFile, cwEmitterTags(new Rng(6), poissonStreams(2e5, [1, 2]), 3e9));
  return [
    { name: "hydraharp-t2.ptu", bytes: hydraharp },
    { name: "hydraharp-t3.ptu", bytes: readFileSync(t3File) },
    { name: "sample.qutag", bytes: readFileSync(quTagFile) },
  ];
}

type Mutation = (bytes: Buffer, rng: Rng) => Buffer;
const at = (bytes: Buffer, f: number) => Math.min(bytes.length - 1, Math.floor(f * bytes.length));

const mutation: fc.Arbitrary<{ what: string; apply: Mutation }> = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }).map((f) => ({
    what: `truncate at ${f.toFixed(3)}`,
    apply: (b: Buffer) => b.subarray(0, Math.floor(f * b.length)),
  })),
  fc
    .array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 7 })), {
      minLength: 1,
      maxLength: 20,
    })
    .map((flips) => ({
      what: `flip ${flips.length} bits`,
      apply: (b: Buffer) => {
        const out = Buffer.from(b);
        for (const [f, bit] of flips) out[at(out, f)]! ^= 1 << bit;
        return out;
      },
    })),
  fc
    .tuple(fc.integer({ min: 0, max: 600 }), fc.uint8Array({ minLength: 1, maxLength: 64 }))
    .map(([offset, junk]) => ({
      what: `header bytes at ${offset}`,
      apply: (b: Buffer) => {
        const out = Buffer.from(b);
        out.set(
          junk.subarray(0, Math.max(0, Math.min(junk.length, out.length - offset))),
          Math.min(offset, out.length),
        );
        return out;
      },
    })),
  fc
    .tuple(fc.integer({ min: 0, max: 40 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))
    .map(([tag, length]) => ({
      what: `tag ${tag}'s value ${length}`,
      apply: (b: Buffer) => {
        const out = Buffer.from(b);
        const offset = 16 + tag * 48 + 40;
        if (offset + 8 <= out.length) out.writeBigInt64LE(length, offset);
        return out;
      },
    })),
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 2000 }), fc.boolean())
    .map(([f, words, zeros]) => ({
      what: `${words} ${zeros ? "zero" : "random"} words at ${f.toFixed(3)}`,
      apply: (b: Buffer, rng: Rng) => {
        const out = Buffer.from(b);
        for (let i = at(out, f), n = 0; i + 4 <= out.length && n < words; i += 4, n++)
          out.writeUInt32LE(zeros ? 0 : (rng.uniform() * 2 ** 32) >>> 0, i);
        return out;
      },
    })),
);

async function analyseOnce(file: string, force: boolean): Promise<"analysed" | "refused"> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no end within ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    await Promise.race([analyzeFile(file, { windowPs: 100_000, periodPs: "auto", force, threads: 1 }), hang]);
    return "analysed";
  } catch (err) {
    if (err instanceof TimeTagFileError) return "refused";
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

describe("the readers and the analysis on mutated files (fast-check)", () => {
  it("10,000 mutations: each analysed or refused as a data fault, none crashes or hangs", async () => {
    const files = bases();
    // Unmutated, every base file is analysed (the cut fixture still declares its 409,482 records: --force).
    for (const base of files) {
      writeFileSync(join(dir, base.name), base.bytes);
      expect(await analyseOnce(join(dir, base.name), true), base.name).toBe("analysed");
    }
    const outcomes = { analysed: 0, refused: 0 };
    const rng = new Rng(99);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1, 2), mutation, fc.boolean(), async (which, m, force) => {
        const base = files[which]!;
        const file = join(dir, base.name);
        writeFileSync(file, m.apply(base.bytes, rng));
        outcomes[await analyseOnce(file, force)]++;
      }),
      { numRuns: 10_000, seed: 20261202 },
    );
    // Both outcomes occur: the mutations reach the analysis, not only the header checks.
    expect(outcomes.analysed).toBeGreaterThan(1000);
    expect(outcomes.refused).toBeGreaterThan(1000);
  }, 600_000);
});
