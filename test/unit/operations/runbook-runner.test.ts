/** Runbook steps against a stand-in control plane: commands as requests, waits, checks, a refusal that ends the run. */
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Response } from "../../../agent/control/protocol.js";
import { EventBus } from "../../../agent/events.js";
import { MetricView } from "../../../agent/operations/metric-view.js";
import { runRunbook } from "../../../agent/operations/runbook-runner.js";
import { parseRunbook } from "../../../agent/operations/runbook-schema.js";

function setUp(answers: Record<string, Response>) {
  const bus = new EventBus(pino({ level: "silent" }));
  const view = new MetricView(bus);
  const sent: Array<{ verb: string; args: Record<string, unknown>; via: string }> = [];
  const request = async (verb: string, payload: Buffer, via: string): Promise<Response> => {
    sent.push({ verb, args: JSON.parse(payload.toString()) as Record<string, unknown>, via });
    return answers[verb] ?? { transaction: null, status: "ok", data: {} };
  };
  const cryostat = (detectorStageTempK: number) =>
    bus.emit("telemetry", {
      ts: "x",
      seq: 1,
      device: "cryostat",
      type: "lakeshore336",
      state: "ok",
      values: { detectorStageTempK },
    });
  return { view, sent, request, cryostat };
}

const BOOK = parseRunbook(
  `name: cool
description: test
steps:
  - { name: start, command: compressor/start }
  - { name: cold, wait: { metric: telemetry/cryostat/detectorStageTempK, below: 3 }, timeoutS: 2, forS: 0.1 }
  - { name: reset, command: interlock/reset, args: { rules: [cryostat] } }
  - { name: still cold, check: { metric: telemetry/cryostat/detectorStageTempK, below: 3 } }
`,
  "cool.yaml",
);

describe("runbook runner", () => {
  it("sends each command as a request via runbook:<name>, waits for its condition, and recovers", async () => {
    const { view, sent, request, cryostat } = setUp({});
    cryostat(10);
    setTimeout(() => cryostat(2.6), 200);
    const run = await runRunbook(BOOK, "test", { request, view, pollMs: 20 }, new AbortController().signal);
    expect(run.outcome).toBe("recovered");
    expect(run.steps.map((s) => [s.step, s.status])).toEqual([
      ["start", "ok"],
      ["cold", "ok"],
      ["reset", "ok"],
      ["still cold", "ok"],
    ]);
    expect(sent.map((s) => [s.verb, s.via])).toEqual([
      ["compressor/start", "runbook:cool"],
      ["interlock/reset", "runbook:cool"],
    ]);
    expect(sent[1]!.args).toMatchObject({ rules: ["cryostat"] });
    expect(typeof sent[1]!.args.transaction).toBe("string");
  });

  it("a step the interlocks refuse ends the run as refused, and nothing after it runs", async () => {
    const { view, sent, request, cryostat } = setUp({
      "interlock/reset": {
        transaction: null,
        status: "error",
        error: { code: "interlock", message: "interlock cryostat still tripped: clear its inputs first" },
      },
    });
    cryostat(2.6);
    const run = await runRunbook(BOOK, "test", { request, view, pollMs: 20 }, new AbortController().signal);
    expect(run.outcome).toBe("refused");
    expect(run.steps.at(-1)).toMatchObject({
      step: "reset",
      status: "refused",
      detail: expect.stringContaining("still tripped"),
    });
    expect(sent).toHaveLength(2);
  });

  it("a wait that times out fails with the value it last saw", async () => {
    const { view, request, cryostat } = setUp({});
    cryostat(40);
    const run = await runRunbook(BOOK, "test", { request, view, pollMs: 50 }, new AbortController().signal);
    expect(run.outcome).toBe("failed");
    expect(run.steps.at(-1)).toMatchObject({
      step: "cold",
      status: "failed",
      detail: expect.stringContaining("last 40"),
    });
  });
});
