/**
 * Operations on the simulated bench, end to end through the embedded broker: a compressor trip
 * becomes one incident that the cryostat-recovery runbook resolves (MTTR published, nobody
 * paged); a trip whose cause lasts pages once; warm-up after start pages nobody; the SLO ledger
 * survives a restart.
 */
import { describe, expect, it } from "vitest";
import { benchPerTest, runBench } from "../helpers/agent-bench.js";

const TRIGGERS = { triggers: [{ cause: "instrument-compressor", runbook: "cryostat-recovery" }] };
type Incident = {
  id: string;
  state: string;
  cause: { alarm: string };
  symptoms: Array<{ alarm: string }>;
  ttrS?: number;
  paged?: unknown;
  runbooks: Array<{ outcome?: string; steps: Array<{ step: string; status: string }> }>;
};

describe("operations on the sim", () => {
  const bench = benchPerTest();

  it("a compressor trip is one incident, recovered by the cryostat-recovery runbook with its MTTR published and no page", async () => {
    const { sub, root } = await bench("ops-trip", { "operations.runbooks": TRIGGERS });
    await sub.waitFor((m) => m.topic === `${root}/telemetry/compressor`, 10_000);
    const started = await sub.request(root, "gameday/start", { fault: "compressor-trip" });
    expect(started.status).toBe("ok");
    const score = await sub.waitFor(
      (m) => m.topic === `${root}/gameday` && m.payload.state !== "running",
      90_000,
    );
    expect(score.payload).toMatchObject({
      state: "recovered",
      runbook: "cryostat-recovery",
      runbookOutcome: "recovered",
      paged: false,
    });
    const incidents = sub.messages.filter((m) => m.topic.startsWith(`${root}/incident/`));
    expect(new Set(incidents.map((m) => m.topic)).size).toBe(1);
    const last = incidents.at(-1)!.payload as unknown as Incident;
    expect(last.state).toBe("resolved");
    expect(last.cause.alarm).toBe("instrument-compressor");
    expect(last.symptoms.map((s) => s.alarm).sort()).toEqual(["instrument-compressor", "interlock-cryostat"]);
    expect(last.runbooks[0]!.steps.every((s) => s.status === "ok")).toBe(true);
    expect(last.ttrS).toBeCloseTo(score.payload.recoveredS as number, 0);
    // The bench is back: detectors biased, the interlock reset, the compressor running.
    const a = await sub.waitFor(
      (m) => m.topic === `${root}/telemetry/detectorA` && m.payload.state === "ok",
      5000,
      sub.messages.length,
    );
    expect(a.payload.values).toMatchObject({ enabled: true, biasUa: 9, latched: false });
    const mttr = await sub.waitFor(
      (m) => m.topic === `${root}/sli/mttr` && m.payload.incidents === 1,
      15_000,
    );
    expect(mttr.payload.lastS).toBe(last.ttrS);
    expect(sub.messages.filter((m) => m.topic === `${root}/event/notification`)).toEqual([]);
    const audit = sub.messages.filter(
      (m) => m.topic === `${root}/event/audit` && m.payload.via === "runbook:cryostat-recovery",
    );
    expect(audit.map((m) => m.payload.verb)).toContain("interlock/reset");
  }, 120_000);

  it("a trip whose cause lasts (the runbook's reset fails) pages once", async () => {
    const { sim, sub, root } = await bench("ops-page", {
      "operations.runbooks": TRIGGERS,
      // Warm-up over once the sample is cold (an incident that opens during warm-up never pages).
      "operations.warmUp": {
        minS: 0,
        stableForS: 0,
        stable: [{ metric: "telemetry/cryostat/sampleTempK", below: 4.5 }],
      },
    });
    await sub.waitFor(
      (m) =>
        m.topic === `${root}/telemetry/agent` &&
        (m.payload.values as Record<string, unknown>).benchQuiet === "none",
      10_000,
    );
    await sub.waitFor((m) => m.topic === `${root}/telemetry/compressor`, 10_000);
    sim.bench.inject({ fault: "compressor-trip", durationS: 600 });
    const page = await sub.waitFor(
      (m) => m.topic === `${root}/event/notification` && m.payload.kind === "page",
      30_000,
    );

    expect(page.payload.text).toContain(
      "runbook cryostat-recovery failed at \"reset the compressor's alarms",
    );
    sim.bench.inject({ fault: "detector-latch", device: "detectorA" });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const notes = sub.messages.filter((m) => m.topic === `${root}/event/notification`);
    expect(notes.map((m) => m.payload.kind)).toEqual(["page"]);
    const open = sub.messages.filter((m) => m.topic.startsWith(`${root}/incident/`)).at(-1)!
      .payload as unknown as Incident;
    expect(open).toMatchObject({ state: "open", paged: { reason: expect.stringContaining("failed") } });
  }, 60_000);

  it("warm-up after start pages nobody; the same alert pages once the bench is stable", async () => {
    const { sub, root } = await bench("ops-warm", {
      "operations.warmUp": { minS: 6, stableForS: 1 },
      "operations.alerts": [
        { name: "always", metric: "telemetry/cryostat/sampleTempK", below: 1000, severity: "page" },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(
      sub.messages.filter(
        (m) => m.topic === `${root}/event/notification` || m.topic === `${root}/alarm/alert-always`,
      ),
    ).toEqual([]);
    const health = await sub.waitFor(
      (m) =>
        m.topic === `${root}/telemetry/agent` &&
        Number((m.payload.values as Record<string, number>).alertsSuppressed) > 0,
      5000,
    );
    expect(health).toBeDefined();
    const page = await sub.waitFor((m) => m.topic === `${root}/event/notification`, 15_000);
    expect(page.payload.kind).toBe("page");
  }, 40_000);

  it("the SLO figures survive a restart", async () => {
    const overrides = { "operations.warmUp": { minS: 0, stableForS: 0 } };
    const first = await runBench("ops-restart", overrides);
    const before = await first.sub.waitFor(
      (m) =>
        m.topic === `${first.root}/sli/availability` &&
        Number((m.payload.slos as { availability: { eligibleS: number } }).availability.eligibleS) >= 5,
      25_000,
    );
    const eligibleBefore = (before.payload.slos as { availability: { eligibleS: number } }).availability
      .eligibleS;
    await first.sub.close();
    await first.agent.stop("restart");
    const second = await bench("ops-restart", overrides, { stateDir: first.stateDir });
    const after = await second.sub.waitFor(
      (m) => m.topic === `${second.root}/sli/availability` && !m.retain,
      25_000,
    );
    const figures = (after.payload.slos as { availability: { eligibleS: number; sli: number } }).availability;
    expect(figures.eligibleS).toBeGreaterThan(eligibleBefore);
    expect(figures.sli).toBeGreaterThan(0.5);
  }, 70_000);
});
