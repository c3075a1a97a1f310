/**
 * The quality SLIs from the measurements: g2(0), brightness (detected photons per second, summed
 * over the detectors), heralding efficiency and HOM visibility, each per run (mean and count) and
 * as a trend (the mean over the last hour beside the last value); the background (dark and stray
 * counts, from rates measured while the laser is off); and MTTR from resolved incidents.
 */
import type { MeasurementEvent } from "../events.js";

const HOUR_MS = 3_600_000;

class Series {
  private runSum = 0;
  private runN = 0;
  private readonly recent: Array<[number, number]> = [];
  last: number | undefined;

  add(atMs: number, value: number): void {
    this.last = value;
    this.runSum += value;
    this.runN++;
    this.recent.push([atMs, value]);
    while (this.recent.length > 0 && this.recent[0]![0] < atMs - HOUR_MS) this.recent.shift();
  }

  newRun(): void {
    this.runSum = 0;
    this.runN = 0;
  }

  figures(): { last: number; runMean: number | null; runN: number; mean1h: number } | undefined {
    if (this.last === undefined) return undefined;
    const mean1h = this.recent.reduce((a, [, v]) => a + v, 0) / Math.max(1, this.recent.length);
    return {
      last: this.last,
      runMean: this.runN > 0 ? this.runSum / this.runN : null,
      runN: this.runN,
      mean1h,
    };
  }
}

export class QualityTracker {
  private readonly series = new Map<string, Series>();
  private readonly darkCps = new Map<string, { cps: number; ts: string }>();

  newRun(): void {
    for (const s of this.series.values()) s.newRun();
  }

  private add(key: string, atMs: number, value: unknown): void {
    if (typeof value !== "number" || !Number.isFinite(value)) return;
    const s = this.series.get(key) ?? new Series();
    this.series.set(key, s);
    s.add(atMs, value);
  }

  /** `laserOn`: the background laser's emission when the measurement was taken (undefined: unknown). */
  onMeasurement(m: MeasurementEvent, laserOn: boolean | undefined): void {
    const atMs = Date.parse(m.ts);
    const field = (o: unknown, k: string) =>
      typeof o === "object" && o !== null ? (o as Record<string, unknown>)[k] : undefined;
    if (m.name === "rates") {
      const detectors = (m.detectors ?? {}) as Record<string, { rateCps?: unknown }>;
      const rates = Object.entries(detectors).filter(([, d]) => typeof d.rateCps === "number");
      if (laserOn === false)
        for (const [name, d] of rates) this.darkCps.set(name, { cps: d.rateCps as number, ts: m.ts });
      else if (laserOn === true)
        this.add(
          "brightnessCps",
          atMs,
          rates.reduce((a, [, d]) => a + (d.rateCps as number), 0),
        );
      return;
    }
    if (laserOn === false) return;
    this.add(`${m.name}.g2Zero`, atMs, field(m.g2, "g2Zero"));
    this.add(`${m.name}.heraldingEfficiency`, atMs, field(m.heralding, "efficiency"));
    this.add(`${m.name}.homVisibility`, atMs, field(m.hom, "visibility"));
  }

  quality(): Record<string, unknown> {
    return Object.fromEntries(
      [...this.series].flatMap(([k, s]) => {
        const f = s.figures();
        return f ? [[k, f]] : [];
      }),
    );
  }

  background(): Record<string, unknown> {
    return Object.fromEntries([...this.darkCps].map(([k, v]) => [k, { darkCps: v.cps, measuredAt: v.ts }]));
  }
}

/** How far back MTTR looks, days (the resolved incidents older than this are dropped). */
export const MTTR_WINDOW_DAYS = 30;

/** MTTR over the resolved incidents of the last `windowDays`. */
export function mttr(
  resolved: ReadonlyArray<{ resolvedAtMs: number; ttrS: number }>,
  nowMs: number,
  windowDays = MTTR_WINDOW_DAYS,
): { incidents: number; meanS: number | null; lastS: number | null } {
  const inWindow = resolved.filter((r) => r.resolvedAtMs >= nowMs - windowDays * 86_400_000);
  return {
    incidents: inWindow.length,
    meanS: inWindow.length ? inWindow.reduce((a, r) => a + r.ttrS, 0) / inWindow.length : null,
    lastS: inWindow.at(-1)?.ttrS ?? null,
  };
}
