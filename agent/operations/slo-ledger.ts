/**
 * The availability SLI's seconds, good and eligible, in minute buckets (the last 6 h, for burn
 * rates) and hour buckets (the last 30 days, for the SLO window and its error budget). Saved in
 * `<state-dir>/operations/slo.json` every minute and at stop, so a restart does not reset them;
 * the seconds the agent was down are simply missing (neither good nor bad).
 *
 * Burn rate over a window = (1 − SLI over it) / (1 − target): 1 spends the budget exactly over the
 * SLO window, 14.4 over 1 h spends 2 % of a 30-day budget (Google SRE workbook, "Alerting on SLOs").
 * The windows come in the usual pairs, 1 h with 5 min and 6 h with 30 min.
 */
import type { Logger } from "../../hal/logger.js";
import { BackgroundFile, readStateFile } from "../state-files.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const KEEP_MINUTES = 6 * 60;
const KEEP_HOURS = 30 * 24;

type Bucket = { good: number; eligible: number };

export interface SloFigures {
  target: number;
  windowDays: number;
  /** Good over eligible seconds in the SLO window (undefined before the first eligible second). */
  sli: number | undefined;
  eligibleS: number;
  badS: number;
  /** 1 − bad/allowed bad over the window so far: 1 untouched, 0 spent, below 0 overspent. */
  errorBudgetRemaining: number | undefined;
  burnRate5m: number | undefined;
  burnRate30m: number | undefined;
  burnRate1h: number | undefined;
  burnRate6h: number | undefined;
  /** The smaller of the 1 h and 5 min burn rates: above 14.4 both are (the fast-burn page). */
  fastBurn: number | undefined;
  /** The smaller of the 6 h and 30 min burn rates: above 6 both are (the slow-burn ticket). */
  slowBurn: number | undefined;
}

export class SloLedger {
  private readonly minutes = new Map<number, Bucket>();
  private readonly hours = new Map<number, Bucket>();
  private readonly file: BackgroundFile;
  readonly loaded: Promise<void>;

  constructor(
    path: string,
    private readonly logger: Logger,
  ) {
    this.loaded = this.load(path);
    this.file = new BackgroundFile(path, "the SLO ledger", logger, this.loaded);
  }

  /** One second: good (usable emission), bad, or not counted (warm-up, maintenance). */
  record(atMs: number, good: boolean | undefined): void {
    if (good === undefined) return;
    for (const [map, index] of [
      [this.minutes, Math.floor(atMs / MINUTE_MS)],
      [this.hours, Math.floor(atMs / HOUR_MS)],
    ] as const) {
      const b = map.get(index) ?? { good: 0, eligible: 0 };
      b.eligible++;
      if (good) b.good++;
      map.set(index, b);
    }
  }

  figures(atMs: number, target: number, windowDays: number): SloFigures {
    const sum = (map: Map<number, Bucket>, from: number) => {
      let good = 0;
      let eligible = 0;
      for (const [i, b] of map)
        if (i >= from) {
          good += b.good;
          eligible += b.eligible;
        }
      return { good, eligible };
    };
    const burn = (minutes: number) => {
      const s = sum(this.minutes, Math.floor(atMs / MINUTE_MS) - minutes + 1);
      return s.eligible === 0 ? undefined : (1 - s.good / s.eligible) / (1 - target);
    };
    const w = sum(this.hours, Math.floor(atMs / HOUR_MS) - windowDays * 24 + 1);
    const badS = w.eligible - w.good;
    const both = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? undefined : Math.min(a, b);
    const [b5m, b30m, b1h, b6h] = [burn(5), burn(30), burn(60), burn(360)];
    return {
      target,
      windowDays,
      sli: w.eligible === 0 ? undefined : w.good / w.eligible,
      eligibleS: w.eligible,
      badS,
      errorBudgetRemaining: w.eligible === 0 ? undefined : 1 - badS / ((1 - target) * w.eligible),
      burnRate5m: b5m,
      burnRate30m: b30m,
      burnRate1h: b1h,
      burnRate6h: b6h,
      fastBurn: both(b1h, b5m),
      slowBurn: both(b6h, b30m),
    };
  }

  /** Drops buckets past what any window needs and saves in the background. */
  save(atMs: number): void {
    prune(this.minutes, Math.floor(atMs / MINUTE_MS) - KEEP_MINUTES);
    prune(this.hours, Math.floor(atMs / HOUR_MS) - KEEP_HOURS);
    const rows = (map: Map<number, Bucket>) => [...map].map(([i, b]) => [i, b.good, b.eligible]);
    this.file.save(
      `${JSON.stringify({ version: 1, minutes: rows(this.minutes), hours: rows(this.hours) })}\n`,
    );
  }

  flushed(): Promise<void> {
    return this.file.flushed();
  }

  private async load(path: string): Promise<void> {
    const saved = await readStateFile(
      path,
      (doc) => {
        const parsed = doc as { minutes?: unknown; hours?: unknown };
        const minutes = new Map<number, Bucket>();
        const hours = new Map<number, Bucket>();
        fill(minutes, parsed.minutes);
        fill(hours, parsed.hours);
        return { minutes, hours };
      },
      this.logger,
      "the SLO ledger is unreadable or corrupt: starting afresh",
    );
    for (const [i, b] of saved?.minutes ?? []) this.minutes.set(i, b);
    for (const [i, b] of saved?.hours ?? []) this.hours.set(i, b);
  }
}

function prune(map: Map<number, Bucket>, before: number): void {
  for (const i of map.keys()) if (i < before) map.delete(i);
}

function fill(map: Map<number, Bucket>, rows: unknown): void {
  if (!Array.isArray(rows)) throw new Error("bucket list missing");
  for (const row of rows) {
    if (!Array.isArray(row) || row.length !== 3 || !row.every((n) => Number.isSafeInteger(n) && n >= 0))
      throw new Error(`bad bucket ${JSON.stringify(row)}`);
    const [i, good, eligible] = row as [number, number, number];
    if (good > eligible) throw new Error(`bucket ${i}: more good than eligible seconds`);
    const b = map.get(i) ?? { good: 0, eligible: 0 };
    map.set(i, { good: b.good + good, eligible: b.eligible + eligible });
  }
}
