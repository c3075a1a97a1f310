/**
 * The count-rate signal from the live tags: the chunk in flight at the start is let pass (its
 * photons may predate the last move), then the detector's tags are counted over exactly the
 * integration time of tagger time, with √N/T as the error.
 */
import { describe, expect, it } from "vitest";
import { CountSignal } from "../../../agent/alignment/signals.js";

const chunk = (startPs: number, n: number, stepPs: number, channel = 1, epochPs = 0) => ({
  channels: Uint8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? channel : 2)),
  timesPs: Float64Array.from({ length: n }, (_, i) => startPs + i * stepPs - epochPs),
  epochPs,
});

describe("CountSignal", () => {
  it("counts channel 1 over 10 ms of tagger time after the first chunk, across an epoch change", async () => {
    const signal = new CountSignal(1, 0.01);
    const sample = signal.sample();
    // In flight when sampling began: ignored; it ends at t = 1 ms.
    signal.push(chunk(0, 11, 100_000_000));
    // 1 ms … 21 ms, a tag every 0.1 ms, every other one on channel 1; the second half under a new epoch.
    signal.push(chunk(1_000_000_100, 100, 100_000_000));
    signal.push(chunk(11_000_000_100, 100, 100_000_000, 1, 2 ** 32));
    const s = await sample;
    // Tags in (1 ms, 11 ms]: 100 of them, 50 on channel 1 → 5000 cps ± √50/0.01.
    expect(s.value).toBe(5000);
    expect(s.sigma).toBeCloseTo(Math.sqrt(50) / 0.01, 9);
  });
});
