/**
 * Exact streaming pair counting in WebAssembly (pair-kernel.wat): one module instance per
 * correlator holds the histogram (int32 per bin) and both channels' recent times in its own
 * memory, so a chunk costs one copy in (channels and times) and no per-chunk histogram traffic.
 * The kernel splits the channels branch-free and pairs each A time t with the B times in
 * [t − W, t + W) once the stream has passed t + W (a later B time could still fall in its window
 * until then), so every pair with −W ≤ τ < W is counted once, whatever the chunk boundaries.
 *
 * The int32 bins are emptied into float64 totals only when the pairs counted since the last time
 * could overflow one (every 2^30 pairs), so the totals are exact for any stream length.
 */
import { WASM_BASE64 } from "./pair-kernel.wasm.js";
import { instantiate, type WasmGlobal, type WasmMemory } from "./wasm.js";

/** The kernel's exports (pair-kernel.wat). */
export interface PairKernelExports {
  memory: WasmMemory;
  aBuf: WasmGlobal<number>;
  bBuf: WasmGlobal<number>;
  aLen: WasmGlobal<number>;
  bLen: WasmGlobal<number>;
  chA: WasmGlobal<number>;
  chB: WasmGlobal<number>;
  w: WasmGlobal<bigint>;
  mult: WasmGlobal<bigint>;
  shift: WasmGlobal<bigint>;
  pairs: WasmGlobal<number>;
  budget: WasmGlobal<number>;
  split(chPtr: number, tPtr: number, n: number, takeA: number, offsetPs: number): void;
  pairUpTo(limitPs: number, lastPs: number): number;
}

const PAGE = 65_536;
/**
 * Events per kernel call. V8 runs a WebAssembly function in its baseline tier until it has run
 * enough to be optimised, and a call in progress never switches: many short calls reach the
 * optimised code early in a stream (one call per 1 Mi-event chunk ran at half speed).
 */
const SLICE = 32_768;
/** The int32 bins are emptied once this many pairs could have gone into one. */
export const PAIR_BUDGET = 2 ** 30;

/**
 * The multiply-shift that divides 0 ≤ x < 2^31 by `bin` exactly: ⌊x·mult / 2^shift⌋ = ⌊x / bin⌋
 * with shift = 31 + ⌈log2 bin⌉ and mult = ⌈2^shift / bin⌉ < 2^32 + 1 (the product stays below 2^63).
 */
export function divisionByMultiply(bin: number): { mult: bigint; shift: bigint } {
  const l = BigInt(Math.ceil(Math.log2(bin)));
  const shift = 31n + l;
  const b = BigInt(bin);
  return { mult: ((1n << shift) + b - 1n) / b, shift };
}

/** The kernel's τ + W is below 2^31 (its exact division): the window spans at most 2^31 − 1 ps (±1.07 ms). */
const MAX_SPAN_PS = 2 ** 31 - 1;

/**
 * The bins of a ±window histogram of `binPs` bins, after checking the kernel can count it exactly:
 * whole picoseconds, a whole number of bins, a span below 2^31 ps. Every correlator, on one thread
 * or on several, goes through here.
 */
export function histogramBins(windowPs: number, binPs: number): number {
  if (
    !Number.isInteger(windowPs) ||
    !Number.isInteger(binPs) ||
    binPs <= 0 ||
    windowPs <= 0 ||
    (2 * windowPs) % binPs !== 0
  )
    throw new RangeError(
      `window ${windowPs} ps must be a positive whole number of ${binPs} ps bins on each side`,
    );
  if (2 * windowPs > MAX_SPAN_PS)
    throw new RangeError(
      `window ±${windowPs} ps: at most ±${MAX_SPAN_PS / 2} ps (the log bins reach further)`,
    );
  return (2 * windowPs) / binPs;
}

export class PairEngine {
  private readonly k: PairKernelExports;
  readonly bins: number;
  /** Exact totals; the kernel's int32 bins are added in and zeroed now and then. */
  readonly totals: Float64Array;
  private capacity = 0;
  private inputCapacity = 0;
  private inputAt = 0;
  /** Events seen on A (counted only where A times are taken) and on B. */
  readonly singles: [number, number] = [0, 0];

  constructor(
    channelA: number,
    channelB: number,
    readonly windowPs: number,
    readonly binPs: number,
    /** Pairs between emptyings of the int32 bins (smaller only in tests, to exercise the emptying). */
    pairBudget = PAIR_BUDGET,
  ) {
    if (channelA === channelB) throw new RangeError("cross-correlation needs two different channels");
    this.bins = histogramBins(windowPs, binPs);
    this.k = instantiate<PairKernelExports>(WASM_BASE64);
    this.totals = new Float64Array(this.bins);
    const { mult, shift } = divisionByMultiply(binPs);
    this.k.chA.value = channelA;
    this.k.chB.value = channelB;
    this.k.w.value = BigInt(windowPs);
    this.k.mult.value = mult;
    this.k.shift.value = shift;
    this.k.budget.value = pairBudget;
    this.layout(1 << 16, SLICE);
  }

  /**
   * Memory: histogram (at address 0, where the kernel expects it), A, B (each `capacity` times),
   * input (`input` events). Growing keeps the histogram and the times already held.
   */
  private layout(capacity: number, input: number): void {
    const k = this.k;
    const histBytes = Math.ceil((this.bins * 4) / 8) * 8;
    const aBuf = histBytes;
    const bBuf = aBuf + capacity * 8;
    const inputAt = bBuf + (capacity + 2) * 8; // B's two sentinels
    const need = inputAt + input + 8 + input * 8; // channels, alignment, times
    const have = k.memory.buffer.byteLength;
    if (need > have) k.memory.grow(Math.ceil((need - have) / PAGE));
    const bytes = new Uint8Array(k.memory.buffer);
    // Move B first (it moves up), then A stays where it is (it starts at the same place).
    if (capacity !== this.capacity && this.capacity > 0)
      bytes.copyWithin(bBuf, k.bBuf.value, k.bBuf.value + k.bLen.value * 8);
    k.aBuf.value = aBuf;
    k.bBuf.value = bBuf;
    this.capacity = capacity;
    this.inputCapacity = input;
    this.inputAt = inputAt;
  }

  /** Room for `n` more events in A and B and in the input area. */
  private reserve(n: number): void {
    const k = this.k;
    const held = Math.max(k.aLen.value, k.bLen.value) + n;
    if (held <= this.capacity && n <= this.inputCapacity) return;
    this.layout(Math.max(this.capacity, 2 ** Math.ceil(Math.log2(held))), Math.max(this.inputCapacity, n));
  }

  /**
   * Events of one chunk, time-ordered and after every earlier one; tag i at timesPs[i] + offsetPs.
   * `context` events give only their B times, counted nowhere (the context of another slice's A
   * events: slices.ts).
   */
  push(channels: Uint8Array, timesPs: Float64Array, context = false, offsetPs = 0): void {
    for (let from = 0; from < channels.length; from += SLICE)
      this.pushSlice(
        channels.subarray(from, from + SLICE),
        timesPs.subarray(from, from + SLICE),
        context,
        offsetPs,
      );
  }

  private pushSlice(channels: Uint8Array, timesPs: Float64Array, context: boolean, offsetPs: number): void {
    const n = channels.length;
    this.reserve(n);
    const k = this.k;
    const buffer = k.memory.buffer;
    new Uint8Array(buffer, this.inputAt, n).set(channels);
    // Float64 input needs 8-byte alignment: the times go after the channels, rounded up.
    const timesAt = Math.ceil((this.inputAt + this.inputCapacity) / 8) * 8;
    new Float64Array(buffer, timesAt, n).set(timesPs);
    const a = k.aLen.value;
    const b = k.bLen.value;
    k.split(this.inputAt, timesAt, n, context ? 0 : 1, offsetPs);
    if (!context) {
      this.singles[0] += k.aLen.value - a;
      this.singles[1] += k.bLen.value - b;
    }
    const lastPs = timesPs[n - 1]! + offsetPs;
    // Every B time before lastPs has arrived: A times with t + W ≤ lastPs are complete.
    this.pairUpTo(lastPs - this.windowPs, lastPs);
  }

  /** Pairs the A times still waiting: the stream ends at `lastPs`. */
  finish(lastPs: number): void {
    this.pairUpTo(Number.POSITIVE_INFINITY, lastPs);
  }

  /** Starts afresh: no times held, no counts, no singles. */
  reset(): void {
    this.clearTimes();
    new Int32Array(this.k.memory.buffer, 0, this.bins).fill(0);
    this.k.pairs.value = 0;
    this.totals.fill(0);
    this.singles[0] = 0;
    this.singles[1] = 0;
  }

  /** Forgets the times held (a new, unrelated stretch of stream follows); the counts stay. */
  clearTimes(): void {
    this.k.aLen.value = 0;
    this.k.bLen.value = 0;
  }

  private pairUpTo(limitPs: number, lastPs: number): void {
    while (this.k.pairUpTo(limitPs, lastPs)) this.empty();
  }

  /** Adds the int32 bins into the totals and zeroes them. */
  private empty(): void {
    const k = this.k;
    const bins = new Int32Array(k.memory.buffer, 0, this.bins);
    const totals = this.totals;
    for (let i = 0; i < bins.length; i++) totals[i]! += bins[i]!;
    bins.fill(0);
    k.pairs.value = 0;
  }

  /** The counts so far (the int32 bins emptied into the totals first). */
  counts(): Float64Array {
    this.empty();
    return this.totals;
  }
}
