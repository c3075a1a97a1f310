/** The stream checker the Sparkplug tests rely on finds each kind of violation it is meant to. */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DataType, type SparkplugMetric } from "../../../agent/sparkplug/codec.js";
import type { SparkplugMessage } from "../../helpers/sparkplug-host.js";
import { EDGE_NODE_STATEMENTS, violations } from "../../helpers/sparkplug-statements.js";

const now = Date.now();
const msg = (
  type: string,
  device: string | undefined,
  seq: number | undefined,
  metrics: SparkplugMetric[],
  extra: Partial<SparkplugMessage> = {},
): SparkplugMessage => ({
  topic: `spBv1.0/g/${type}/e${device ? `/${device}` : ""}`,
  type,
  device,
  qos: type === "NDEATH" ? 1 : 0,
  retain: false,
  payload: { timestamp: now, ...(seq === undefined ? {} : { seq }), metrics },
  ...extra,
});
const nbirth = msg("NBIRTH", undefined, 0, [
  { name: "bdSeq", alias: 1, timestamp: now, datatype: DataType.Int64, value: 3 },
  { name: "Node Control/Rebirth", timestamp: now, datatype: DataType.Boolean, value: false },
]);
const dbirth = msg("DBIRTH", "laser", 1, [
  { name: "powerMw", alias: 2, timestamp: now, datatype: DataType.Double, value: 1 },
]);
const ddata = (seq: number, metric: SparkplugMetric = { alias: 2, timestamp: now, value: 2 }) =>
  msg("DDATA", "laser", seq, [metric]);
const ndeath = msg("NDEATH", undefined, undefined, [
  { name: "bdSeq", timestamp: now, datatype: DataType.Int64, value: 3 },
]);

const ids = (messages: SparkplugMessage[]) => violations(messages, now).map((v) => v.split(":")[0]);

describe("the Sparkplug statement checker", () => {
  it("passes a good session, seq wrapping from 255 to 0", () => {
    const data = Array.from({ length: 300 }, (_, i) => ddata((i + 2) % 256));
    expect(violations([nbirth, dbirth, ...data, ndeath], now)).toEqual([]);
  });

  it.each([
    ["a skipped seq", [nbirth, dbirth, ddata(3)], "tck-id-payloads-sequence-num-incrementing"],
    [
      "a name in DATA",
      [nbirth, dbirth, ddata(2, { name: "powerMw", alias: 2, timestamp: now, value: 2 })],
      "tck-id-payloads-alias-data-cmd-requirement",
    ],
    [
      "an alias the birth did not declare",
      [nbirth, dbirth, ddata(2, { alias: 9, timestamp: now, value: 2 })],
      "tck-id-operational-behavior-data-publish-dbirth",
    ],
    ["a retained NBIRTH", [{ ...nbirth, retain: true }], "tck-id-topics-nbirth-mqtt"],
    [
      "DATA before its device's birth",
      [nbirth, msg("DDATA", "laser", 1, [{ alias: 2, timestamp: now, value: 1 }])],
      "tck-id-payloads-dbirth-order",
    ],
    [
      "an NDEATH with a seq",
      [nbirth, { ...ndeath, payload: { ...ndeath.payload, seq: 1 } }],
      "tck-id-topics-ndeath-seq",
    ],
    [
      "an NDEATH of another bdSeq",
      [
        nbirth,
        msg("NDEATH", undefined, undefined, [
          { name: "bdSeq", timestamp: now, datatype: DataType.Int64, value: 4 },
        ]),
      ],
      "tck-id-payloads-ndeath-bdseq",
    ],
    [
      "a Rebirth metric with an alias",
      [
        msg("NBIRTH", undefined, 0, [
          nbirth.payload.metrics[0]!,
          {
            name: "Node Control/Rebirth",
            alias: 7,
            timestamp: now,
            datatype: DataType.Boolean,
            value: false,
          },
        ]),
      ],
      "tck-id-operational-behavior-data-commands-rebirth-name-aliases",
    ],
    [
      "a duplicate alias",
      [
        nbirth,
        msg("DBIRTH", "laser", 1, [
          { name: "powerMw", alias: 1, timestamp: now, datatype: DataType.Double, value: 1 },
        ]),
      ],
      "tck-id-payloads-alias-uniqueness",
    ],
    [
      "a metric without a timestamp",
      [nbirth, dbirth, ddata(2, { alias: 2, value: 2 })],
      "tck-id-payloads-name-birth-data-requirement",
    ],
    [
      "a device id on NDATA",
      [nbirth, msg("NDATA", "laser", 1, [])],
      "tck-id-topic-structure-namespace-device-id-non-associated-message-types",
    ],
  ])("finds %s", (_what, messages, id) => {
    expect(ids(messages as SparkplugMessage[])).toContain(id);
  });

  it("lists every statement with where it is checked", () => {
    for (const [id, s] of Object.entries(EDGE_NODE_STATEMENTS)) {
      expect(id).toMatch(/^tck-id-[a-z0-9-]+$/i);
      const file = /^([a-z-]+): .+$/.exec(s.checkedBy)?.[1];
      if (s.checkedBy !== "stream")
        expect(existsSync(`test/integration/${file}.test.ts`), `${id}: ${s.checkedBy}`).toBe(true);
    }
  });
});
