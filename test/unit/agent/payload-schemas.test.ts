/** The published payload schemas: kept current with their source, and strict where it matters. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  PAYLOAD_SCHEMA_VERSION,
  payloadJsonSchema,
  payloadSchemas,
} from "../../../agent/mqtt/payload-schemas.js";
import { checkPayloads } from "../../helpers/payload-check.js";

const root = "photon-bench/b1";
const ts = "2026-12-02T13:00:00.000Z";
const msg = (topic: string, payload: Record<string, unknown>) => ({
  topic: `${root}/${topic}`,
  payload,
  retain: false,
});

describe("payload schemas", () => {
  it.each(Object.keys(payloadSchemas))("schemas/payloads/v1/%s.schema.json is current", (kind) => {
    const file = `schemas/payloads/v${PAYLOAD_SCHEMA_VERSION}/${kind}.schema.json`;
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(
      payloadJsonSchema(kind as keyof typeof payloadSchemas),
    );
  });

  it("accepts a well-formed message and names what is wrong in others", () => {
    const good = msg("alarm/interlock-door", {
      ts,
      seq: 1,
      name: "interlock-door",
      active: true,
      severity: "critical",
      message: "door open",
    });
    const summary = msg("telemetry/cryostat", {
      ts,
      device: "cryostat",
      type: "lakeshore336",
      state: "summary",
      summary: { fromTs: ts, toTs: ts, samples: 60, faultedSamples: 0, seqFrom: 7 },
      values: { sampleTempK: { min: 3.99, mean: 4, max: 4.01 } },
      seq: 66,
    });
    expect(checkPayloads(root, [good, summary]).failures).toEqual([]);
    const { failures } = checkPayloads(root, [
      msg("alarm/interlock-door", { ...good.payload, severity: "fatal" }),
      msg("telemetry/laser", {
        ts,
        seq: 2,
        device: "laser",
        type: "obis-laser",
        state: "ok",
        values: { faults: [1] },
      }),
      msg("alignment", {
        ts,
        seq: 3,
        mode: "track",
        positionUm: { x: 1 },
        fractionOfPeak: 1,
        ditherLoss: 0,
        modeRadiusUm: 3,
        samples: 1.5,
        clampedMoves: 0,
      }),
      msg("measurement/rates", {
        ts,
        seq: 4,
        name: "rates",
        source: "tagger",
        period: 0,
        integrationS: 1,
        detectors: { a: { photons: -1, rateCps: 1 } },
      }),
      msg("nonsense/topic", {}),
    ]);
    expect(failures.map((f) => f.split(":")[0])).toEqual([
      `${root}/alarm/interlock-door`,
      `${root}/telemetry/laser`,
      `${root}/alignment`,
      `${root}/measurement/rates`,
      `${root}/nonsense/topic`,
    ]);
  });
});
