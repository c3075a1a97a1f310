/** The SLO ledger against figures worked out by hand, and across a restart (a new ledger on the same file). */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { SloLedger } from "../../../agent/operations/slo-ledger.js";

const logger = pino({ level: "silent" });
const T0 = Date.parse("2026-12-02T10:00:00Z");

async function ledgerFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "slo-")), "slo.json");
}

describe("SLO ledger", () => {
  it("one bad second in a hundred over an hour is an SLI of 0.99, a 1 h burn rate of 1 at a 99 % target", async () => {
    const ledger = new SloLedger(await ledgerFile(), logger);
    await ledger.loaded;
    for (let s = 0; s < 3600; s++) ledger.record(T0 + s * 1000, s % 100 !== 0);
    const f = ledger.figures(T0 + 3599_000, 0.99, 30);
    expect(f.eligibleS).toBe(3600);
    expect(f.badS).toBe(36);
    expect(f.sli).toBeCloseTo(0.99, 12);
    expect(f.burnRate1h).toBeCloseTo(1, 9);
    // Budget: 1 % of 3600 s = 36 s, all spent.
    expect(f.errorBudgetRemaining).toBeCloseTo(0, 9);
    // The last 5 minutes (300 s) hold 3 bad seconds: burn 1 as well.
    expect(f.burnRate5m).toBeCloseTo(1, 9);
  });

  it("a bad last 5 minutes burns fast only over the short window; fastBurn needs both", async () => {
    const ledger = new SloLedger(await ledgerFile(), logger);
    await ledger.loaded;
    for (let s = 0; s < 3600; s++) ledger.record(T0 + s * 1000, s < 3300);
    const f = ledger.figures(T0 + 3599_000, 0.99, 30);
    expect(f.burnRate5m).toBeCloseTo(100, 9); // all bad: (1 − 0) / 0.01
    expect(f.burnRate1h).toBeCloseTo(300 / 3600 / 0.01, 9); // 8.33
    expect(f.fastBurn).toBeCloseTo(300 / 3600 / 0.01, 9);
    expect(f.fastBurn! < 14.4).toBe(true);
  });

  it("seconds not counted (warm-up, maintenance) are neither good nor bad", async () => {
    const ledger = new SloLedger(await ledgerFile(), logger);
    await ledger.loaded;
    for (let s = 0; s < 100; s++) ledger.record(T0 + s * 1000, s < 50 ? undefined : true);
    expect(ledger.figures(T0 + 99_000, 0.99, 30)).toMatchObject({ eligibleS: 50, badS: 0, sli: 1 });
  });

  it("survives a restart: a new ledger on the same file has the same figures", async () => {
    const file = await ledgerFile();
    const first = new SloLedger(file, logger);
    await first.loaded;
    for (let s = 0; s < 600; s++) first.record(T0 + s * 1000, s % 10 !== 0);
    first.save(T0 + 600_000);
    await first.flushed();
    const second = new SloLedger(file, logger);
    await second.loaded;
    expect(second.figures(T0 + 600_000, 0.99, 30)).toEqual(first.figures(T0 + 600_000, 0.99, 30));
    expect(second.figures(T0 + 600_000, 0.99, 30)).toMatchObject({ eligibleS: 600, badS: 60 });
  });

  it("a corrupt file starts afresh instead of inventing history", async () => {
    const file = await ledgerFile();
    await writeFile(file, JSON.stringify({ version: 1, minutes: [[1, 5, 2]], hours: [] }));
    const ledger = new SloLedger(file, logger);
    await ledger.loaded;
    expect(ledger.figures(T0, 0.99, 30)).toMatchObject({ eligibleS: 0, sli: undefined });
  });
});
