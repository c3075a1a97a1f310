/**
 * The WebAssembly kernels: their embedded bytes are exactly what their WAT sources compile to; the
 * pair kernel counts what a double loop counts, window and bin edges included (the generic-T2
 * decoder is checked record by record in ptu.test.ts, on every record type and the real file).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import wabtInit from "wabt";
import { pairWindow } from "../../../agent/correlation/pair-kernel.js";
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

  it("counts every pair with −W ≤ τ < W into bin (τ + W)/bin, like the double loop, edges included", () => {
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
    const counts = new Float64Array((2 * W) / BIN);
    pairWindow(a, a.length, b, b.length, W, BIN, counts);
    expect([...counts]).toEqual([...expected]);
    expect(expected[0]).toBeGreaterThan(50);
  });
});
