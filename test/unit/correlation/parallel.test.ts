/**
 * The parallel correlator against the single-thread one: the same histogram bin for bin and the
 * same singles, whatever the chunk sizes — chunks much shorter than the window (whose context
 * spans several of them) and much longer, ties across chunk boundaries, pairs at exactly ±W.
 */
import { describe, expect, it } from "vitest";
import { CrossCorrelator } from "../../../agent/correlation/cross-correlation.js";
import { ParallelCorrelator } from "../../../agent/correlation/parallel.js";
import { workerUrl } from "../../../agent/worker-url.js";
import { Rng } from "../../../sim/random.js";

describe("parallel correlation", () => {
  it("sums to the single-thread histogram bin for bin, on 3 workers, chunks cut anywhere", async () => {
    const rng = new Rng(23);
    const W = 20_000;
    const n = 200_000;
    const channels = new Uint8Array(n);
    const times = new Float64Array(n);
    let t = 0;
    for (let i = 0; i < n; i++) {
      // Bursts and gaps: dense stretches (many pairs, ties) and gaps longer than the window.
      t += rng.uniform() < 0.001 ? 5 * W : Math.floor(rng.uniform() * 3000);
      times[i] = t;
      channels[i] = rng.uniform() < 0.45 ? 2 : rng.uniform() < 0.9 ? 7 : 0;
    }
    // Pairs at exactly τ = −W (counted) and +W (not).
    times[n - 3] = t + 100_000;
    times[n - 2] = t + 100_000 + W;
    times[n - 1] = t + 100_000 + 2 * W;
    channels.set([2, 7, 2], n - 3);
    const single = new CrossCorrelator(2, 7, W, 500);
    single.push(channels, times);
    const expected = single.histogram();
    const parallel = new ParallelCorrelator(2, 7, W, 500, 3, workerUrl("slice-worker"));
    for (let at = 0; at < n; ) {
      const size =
        rng.uniform() < 0.5 ? 1 + Math.floor(rng.uniform() * 5) : Math.floor(rng.uniform() * 20_000);
      await parallel.push(channels.subarray(at, at + size), times.subarray(at, at + size));
      at += size;
    }
    const h = await parallel.histogram();
    expect(h.counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(100_000);
    expect([...h.counts]).toEqual([...expected.counts]);
    expect(h.singles).toEqual(expected.singles);
    expect(h.spanPs).toBe(expected.spanPs);
  });

  it("refuses a window the kernel cannot count exactly (beyond ±1.07 ms) before any worker starts, as one thread does", () => {
    const url = workerUrl("slice-worker");
    expect(() => new ParallelCorrelator(2, 7, 1_100_000_000, 1000, 2, url)).toThrow(
      "at most ±1073741823.5 ps",
    );
    expect(() => new CrossCorrelator(2, 7, 1_100_000_000, 1000)).toThrow("at most ±1073741823.5 ps");
    expect(() => new ParallelCorrelator(2, 7, 10_000, 3000, 2, url)).toThrow("whole number of 3000 ps bins");
  });
});
