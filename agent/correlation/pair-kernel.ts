/**
 * The pair-counting hot loop in WebAssembly (pair-kernel.wat): 1.5–1.8× the same loop in
 * JavaScript here (bench/correlation.ts), which matters on a Raspberry Pi that must keep up with
 * a live 2 × 5 Mcps stream. The times are copied into its memory per call (a chunk's worth), the
 * counts come back as int32 and are added to the caller's histogram.
 */
import { WASM_BASE64 } from "./pair-kernel.wasm.js";
import { kernel, memoryOf, type WasmMemory } from "./wasm.js";

const pairKernel = kernel<{
  memory: WasmMemory;
  pair(aPtr: number, n: number, bPtr: number, m: number, w: number, bin: number, cPtr: number): void;
}>(WASM_BASE64);

/**
 * Pairs each `a[0…n)` with the `b[0…m)` in [t − W, t + W) (both ascending) and adds the pairs to
 * `counts` at index (τ + W) / bin. 2W must be below 2^31 ps.
 */
export function pairWindow(
  a: Float64Array,
  n: number,
  b: Float64Array,
  m: number,
  windowPs: number,
  binPs: number,
  counts: Float64Array,
): void {
  if (n === 0 || m === 0) return;
  const k = pairKernel();
  const aBytes = n * 8;
  const bBytes = m * 8;
  const buffer = memoryOf(k.memory, aBytes + bBytes + counts.length * 4);
  new Float64Array(buffer, 0, n).set(a.subarray(0, n));
  new Float64Array(buffer, aBytes, m).set(b.subarray(0, m));
  const local = new Int32Array(buffer, aBytes + bBytes, counts.length);
  local.fill(0);
  k.pair(0, n, aBytes, m, windowPs, binPs, aBytes + bBytes);
  for (let i = 0; i < local.length; i++) counts[i]! += local[i]!;
}
