/**
 * The WebAssembly kernels: their embedded bytes are exactly what their WAT sources compile to; the
 * pair engine counts what a double loop counts, window and bin edges included, in any chunks and
 * however often its int32 bins are emptied; its division by multiply is exact (the generic-T2
 * decoder is checked record by record in ptu.test.ts, on every record type and the real file).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import wabtInit from "wabt";
import { divisionByMultiply, PAIR_BUDGET, PairEngine } from "../../../agent/correlation/pair-kernel.js";
import { WASM_BASE64 as PAIR } from "../../../agent/correlation/pair-kernel.wasm.js";
import { WASM_BASE64 as GENERIC_T2 } from "../../../agent/correlation/readers/generic-t2.wasm.js";
import { Rng } from "../../../sim/random.js";

describe("WebAssembly pair kernel", () => {
  it.each([
    ["agent/correlation/pair-kernel.wat", PAIR],
    ["agent/correlation/readers/generic-t2.wat", GENERIC_T2],
  ])(
    "%s compiles to the embedded bytes (run scripts/build-wasm.mjs after editing it)",
    async (source, embedded) => {
      const wabt = await wabtInit();
      const { buffer } = wabt.parseWat(source, readFileSync(source, "utf8")).toBinary({});
      expect(Buffer.from(buffer).toString("base64")).toBe(embedded);
    },
  );

  /** A and B merged into one time-ordered stream on channels 3 (A) and 5 (B), with stray channel-9 events. */
  function stream(a: Float64Array, b: Float64Array, rng: Rng) {
    const events = [
      ...[...a].map((t) => [t, 3] as const),
      ...[...b].map((t) => [t, 5] as const),
      ...Array.from({ length: 500 }, () => [Math.floor(rng.uniform() * 2e6), 9] as const),
    ].sort((x, y) => x[0] - y[0]);
    return { channels: Uint8Array.from(events, (e) => e[1]), times: Float64Array.from(events, (e) => e[0]) };
  }

  it("counts every pair with −W ≤ τ < W into bin ⌊(τ + W)/bin⌋, like the double loop, edges included, in any chunks", () => {
    const rng = new Rng(8);
    const W = 5000;
    const BIN = 250;
    const a = Float64Array.from({ length: 3000 }, () => Math.floor(rng.uniform() * 2e6)).sort();
    // B: random, plus copies of A at exactly −W, +W (excluded), and bin edges.
    const extra = [...a.slice(0, 50)].flatMap((t) => [t - W, t + W, t + BIN, t - BIN, t]);
    const b = Float64Array.from([
      ...Array.from({ length: 3000 }, () => Math.floor(rng.uniform() * 2e6)),
      ...extra,
    ]).sort();
    const expected = new Float64Array((2 * W) / BIN);
    for (const ta of a)
      for (const tb of b) {
        const tau = tb - ta;
        if (tau >= -W && tau < W) expected[Math.floor((tau + W) / BIN)]!++;
      }
    const { channels, times } = stream(a, b, rng);
    // A budget of 7 pairs between emptyings: the int32 bins are emptied hundreds of times mid-chunk.
    for (const budget of [PAIR_BUDGET, 7]) {
      const engine = new PairEngine(3, 5, W, BIN, budget);
      for (let at = 0; at < times.length; ) {
        const size = 1 + Math.floor(rng.uniform() * 700);
        engine.push(channels.subarray(at, at + size), times.subarray(at, at + size));
        at += size;
      }
      engine.finish(times[times.length - 1]!);
      expect([...engine.counts()]).toEqual([...expected]);
      expect(engine.singles).toEqual([a.length, b.length]);
    }
    expect(expected[0]).toBeGreaterThan(50);
  });

  it("divides by multiply and shift exactly for every τ + W below 2^31, whatever the bin", () => {
    const rng = new Rng(11);
    for (const bin of [1, 2, 3, 7, 16, 20, 100, 999, 1000, 4096, 65_537, 1_000_000, 2 ** 31 - 1]) {
      const { mult, shift } = divisionByMultiply(bin);
      expect(mult).toBeLessThanOrEqual(2n ** 32n);
      const xs = [0, 2 ** 31 - 1, bin - 1, bin, bin + 1];
      for (let k = 1; k * bin < 2 ** 31 && xs.length < 2000; k = Math.ceil(k * 1.37))
        xs.push(k * bin - 1, k * bin);
      for (let i = 0; i < 2000; i++) xs.push(Math.floor(rng.uniform() * 2 ** 31));
      for (const x of xs.filter((v) => v < 2 ** 31))
        expect((BigInt(x) * mult) >> shift, `x = ${x}, bin = ${bin}`).toBe(BigInt(Math.floor(x / bin)));
    }
  });
});
