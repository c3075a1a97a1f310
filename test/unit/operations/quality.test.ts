/** The quality SLIs against sums worked out by hand: per-run means, the last hour, dark counts only with the laser off, MTTR's window. */
import { describe, expect, it } from "vitest";
import type { MeasurementEvent } from "../../../agent/events.js";
import { mttr, QualityTracker } from "../../../agent/operations/quality.js";

const T0 = Date.parse("2026-12-02T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const hbt = (s: number, g2Zero: number): MeasurementEvent => ({
  ts: at(s),
  name: "hbt",
  source: "tagger",
  g2: { kind: "pulsed", g2Zero, g2ZeroError: 0.001 },
});
const rates = (s: number, a: number, b: number): MeasurementEvent => ({
  ts: at(s),
  name: "rates",
  source: "tagger",
  detectors: { detectorA: { photons: a, rateCps: a }, detectorB: { photons: b, rateCps: b } },
});

describe("quality SLIs", () => {
  it("g2(0) per run and over the last hour; a new run starts its mean afresh", () => {
    const q = new QualityTracker();
    q.onMeasurement(hbt(0, 0.02), true);
    q.onMeasurement(hbt(10, 0.04), true);
    expect(q.quality()["hbt.g2Zero"]).toEqual({ last: 0.04, runMean: 0.03, runN: 2, mean1h: 0.03 });
    q.newRun();
    q.onMeasurement(hbt(3700, 0.1), true); // the first two are over an hour old now
    expect(q.quality()["hbt.g2Zero"]).toEqual({ last: 0.1, runMean: 0.1, runN: 1, mean1h: 0.1 });
  });

  it("brightness is the detectors' summed rate with the laser on; with it off the rates are the dark counts", () => {
    const q = new QualityTracker();
    q.onMeasurement(rates(0, 120_000, 80_000), true);
    q.onMeasurement(rates(10, 150, 90), false);
    q.onMeasurement(hbt(10, 0.9), false); // g2 of dark counts says nothing of the source
    expect(q.quality()).toEqual({
      brightnessCps: { last: 200_000, runMean: 200_000, runN: 1, mean1h: 200_000 },
    });
    expect(q.background()).toEqual({
      detectorA: { darkCps: 150, measuredAt: at(10) },
      detectorB: { darkCps: 90, measuredAt: at(10) },
    });
  });

  it("MTTR is the mean time to recover over the last 30 days", () => {
    const day = 86_400_000;
    const resolved = [
      { resolvedAtMs: T0 - 40 * day, ttrS: 1000 }, // outside the window
      { resolvedAtMs: T0 - 2 * day, ttrS: 30 },
      { resolvedAtMs: T0 - day, ttrS: 90 },
    ];
    expect(mttr(resolved, T0)).toEqual({ incidents: 2, meanS: 60, lastS: 90 });
    expect(mttr([], T0)).toEqual({ incidents: 0, meanS: null, lastS: null });
  });
});
