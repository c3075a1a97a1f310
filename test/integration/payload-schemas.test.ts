/**
 * What the agent really publishes, checked against the payload schemas it publishes
 * (schemas/payloads/v1/, by a JSON Schema validator, as a subscriber would): every topic kind of
 * the simulated bench, a faulted device, an alarm, requests and their refusals. And what a
 * subscriber can use without code: lists as arrays, readings at their resolution, the latest
 * measurement and alignment retained, a histogram as a plain array on request.
 */
import { describe, expect, it } from "vitest";
import { countsOf } from "../../agent/correlation/live-engine.js";
import { benchPerTest } from "../helpers/agent-bench.js";
import { checkPayloads } from "../helpers/payload-check.js";
import { subscriber } from "../helpers/processes.js";

describe("published payloads", () => {
  const runBench = benchPerTest();

  it("every payload the sim bench sends matches its published schema; lists are arrays, readings rounded, latest retained", async () => {
    const { sim, sub, root, agent } = await runBench("payloads", {
      "correlation.integrationS": 1,
      "alignment.publishEveryS": 0.2,
    });
    const hbt = await sub.waitFor((m) => m.topic === `${root}/measurement/hbt`, 20_000);
    await sub.waitFor((m) => m.topic === `${root}/alignment`, 10_000);
    sim.bench.inject({ fault: "device-unplugged", device: "compressor", durationS: 1 });
    await sub.waitFor(
      (m) => m.topic === `${root}/telemetry/compressor` && m.payload.state === "faulted",
      10_000,
    );
    await sub.waitFor((m) => m.topic.startsWith(`${root}/alarm/`), 10_000);
    expect(await sub.request(root, "agent/ping")).toMatchObject({ status: "ok" });
    expect(await sub.request(root, "no/such-verb")).toMatchObject({ status: "error" });
    const snapshot = await sub.request(root, "analysis/snapshot", { name: "hbt", counts: "array" });
    await sub.waitFor((m) => m.topic === `${root}/event/audit`);
    const run = await sub.request(root, "run/start", { name: "payloads", operator: "test", sample: "QD-7" });
    const runId = (run.data as { runId: string }).runId;
    await sub.waitFor((m) => m.topic === `${root}/run`, 5000);
    const tagged = await sub.waitFor(
      (m) => m.topic === `${root}/measurement/hbt` && m.payload.runId === runId,
      10_000,
    );
    expect(tagged.payload.analysis).toMatchObject({
      integrationS: 1,
      histogram: { name: "hbt", binPs: 100 },
    });
    await sub.waitFor((m) => m.topic === `${root}/sli/quality`, 15_000);

    const { kinds, failures } = checkPayloads(root, sub.messages);
    expect(failures).toEqual([]);
    expect([...kinds].sort()).toEqual(
      [
        "alarm",
        "alignment",
        "audit",
        "config",
        "incident",
        "measurement-histogram",
        "measurement-rates",
        "response",
        "run",
        "sli",
        "status",
        "telemetry",
      ].sort(),
    );

    // Lists are arrays.
    const laser = sub.messages.find((m) => m.topic === `${root}/telemetry/laser`)!.payload.values as Record<
      string,
      unknown
    >;
    expect(laser.faults).toEqual([]);
    const compressor = sub.messages.find(
      (m) => m.topic === `${root}/telemetry/compressor` && m.payload.state === "ok",
    )!;
    expect((compressor.payload.values as Record<string, unknown>).alarms).toEqual([]);
    // Readings at their resolution: power to 1 nW, positions to 1 nm.
    const power = sub.messages.find((m) => m.topic === `${root}/telemetry/powerMonitor`)!.payload
      .values as Record<string, number>;
    expect(Number(power.coupledPowerMw!.toFixed(6))).toBe(power.coupledPowerMw);
    const align = sub.messages.find((m) => m.topic === `${root}/alignment`)!.payload;
    expect(Number((align.positionUm as { x: number }).x.toFixed(3))).toBe(
      (align.positionUm as { x: number }).x,
    );
    expect(align.signalMw).toBeGreaterThan(0);

    // A plain array on request, whose counts add up to the coincidences (their definition).
    const measured = (snapshot.data!.measurements as Array<Record<string, unknown>>)[0]!;
    const h = measured.histogram as { counts: number[]; bins: number; countsBase64?: string };
    expect(h.countsBase64).toBeUndefined();
    expect(h.counts).toHaveLength(h.bins);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(measured.coincidences);
    const published = hbt.payload.histogram as { countsBase64: string };
    expect(countsOf(published.countsBase64).reduce((a, b) => a + b, 0)).toBe(hbt.payload.coincidences);

    // A subscriber arriving now gets the latest measurement and alignment at once, retained.
    const late = await subscriber(agent.brokerUrl, `${root}/#`);
    try {
      for (const topic of ["measurement/rates", "measurement/hbt", "alignment", "config", "status"])
        expect(await late.waitFor((m) => m.topic === `${root}/${topic}`, 2000)).toMatchObject({
          retain: true,
        });
    } finally {
      await late.close();
    }
  }, 60_000);
});
