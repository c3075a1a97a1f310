/** Sparkplug B payloads through protobufjs and the specification's schema, and back. */
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { DataType, decodePayload, encodePayload } from "../../../agent/sparkplug/codec.js";
import { SPARKPLUG_B_PROTO } from "../../../agent/sparkplug/sparkplug-b-proto.js";

describe("Sparkplug B codec", () => {
  it("round-trips every type the edge node sends, with aliases, properties, nulls and historical flags", () => {
    const payload = {
      timestamp: 1_796_214_763_497,
      seq: 255,
      metrics: [
        { name: "bdSeq", alias: 1, timestamp: 1_796_214_763_497, datatype: DataType.Int64, value: 255 },
        { name: "Node Control/Rebirth", timestamp: 1, datatype: DataType.Boolean, value: false },
        {
          name: "sampleTempK",
          alias: 2,
          timestamp: 2,
          datatype: DataType.Double,
          value: 4.0005,
          properties: { engUnit: "K", engLow: 1.5, engHigh: 300 },
        },
        { name: "heaterRange", alias: 3, timestamp: 3, datatype: DataType.String, value: "medium" },
        { name: "lost", alias: 4, timestamp: 4, datatype: DataType.Double, isNull: true },
        { name: "offset", alias: 5, timestamp: 5, datatype: DataType.Int32, value: -5 },
        { alias: 2, timestamp: 6, isHistorical: true, value: 4.01 },
      ],
    };
    expect(decodePayload(encodePayload(payload))).toEqual(payload);
  });

  it("writes the Quality property as the Int32 (type 3) the specification requires, other numbers as Double", () => {
    const bytes = encodePayload({
      metrics: [
        { name: "x", datatype: DataType.Double, value: 1, properties: { Quality: 192, engHigh: 10 } },
      ],
    });
    const Payload = protobuf.parse(SPARKPLUG_B_PROTO).root.lookupType("org.eclipse.tahu.protobuf.Payload");
    const raw = Payload.toObject(Payload.decode(bytes)) as {
      metrics: Array<{
        properties: { values: Array<{ type: number; intValue?: number; doubleValue?: number }> };
      }>;
    };
    expect(raw.metrics[0]!.properties.values).toEqual([
      { type: DataType.Int32, intValue: 192 },
      { type: DataType.Double, doubleValue: 10 },
    ]);
  });

  it("refuses bytes that are no payload and metrics of a type it does not take, saying which", () => {
    expect(() => decodePayload(Buffer.from('{"online":true}'))).toThrow();
    const Payload = protobuf.parse(SPARKPLUG_B_PROTO).root.lookupType("org.eclipse.tahu.protobuf.Payload");
    const withDataSet = Payload.encode({
      metrics: [{ name: "table", datatype: 16, datasetValue: { numOfColumns: 1 } }],
    }).finish();
    expect(() => decodePayload(withDataSet)).toThrow(/table: a datasetValue is not taken/);
  });
});
