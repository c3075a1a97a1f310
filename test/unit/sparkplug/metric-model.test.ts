/** The edge node's metric book: units from names, report by exception, births, aliases. */
import { describe, expect, it } from "vitest";
import { DataType } from "../../../agent/sparkplug/codec.js";
import { MetricModel } from "../../../agent/sparkplug/metric-model.js";
import { roundReading, roundReadings, unitOf } from "../../../agent/units.js";

const model = (deadbands: Record<string, number> = {}) =>
  new MetricModel({
    deadband: (d, m) => deadbands[`${d}/${m}`] ?? deadbands[m],
    defaultDeadbandPercent: 0.5,
  });

describe("unitOf", () => {
  it.each([
    ["sampleTempK", "K"],
    ["powerMw", "mW"],
    ["positionUm/x", "µm"],
    ["linewidthMHz", "MHz"],
    ["frequencyGHz", "GHz"],
    ["heliumDischargeTempC", "°C"],
    ["uptimeS", "s"],
    ["syncInputCps", "cps"],
    ["biasUa", "µA"],
    ["supplyPsig", "psig"],
    ["heaterPercent", "%"],
    ["lastTickLagMs", "ms"],
    ["hbt/g2/zeroDelayPs", "ps"],
  ])("%s is in %s", (name, unit) => expect(unitOf(name)).toBe(unit));

  it.each(["ticks", "K", "state", "hbt/g2/g2Zero", "emission"])("%s has no unit", (name) =>
    expect(unitOf(name)).toBeUndefined(),
  );
});

describe("roundReading", () => {
  it.each([
    ["coupledPowerMw", 0.09978750000000002, 0.099788],
    ["sampleTempK", 4.000512345, 4.0005],
    ["xPositionUm", 49.765710677128425, 49.766],
    ["heliumDischargeTempC", 55.0049, 55],
    ["fractionOfPeak", 0.9938195858820048, 0.99382],
    ["ticks", 123456789, 123456789],
    ["ditherLoss", 1.2345678e-9, 1.23457e-9],
  ])("%s %s → %s", (name, value, rounded) => expect(roundReading(name, value)).toBe(rounded));

  it("rounds nested numbers by their folder's unit and leaves lists alone", () => {
    expect(roundReadings({ positionUm: { x: 1.23456, y: 2 }, faults: ["a"], signalMw: 0.1234567 })).toEqual({
      positionUm: { x: 1.235, y: 2 },
      faults: ["a"],
      signalMw: 0.123457,
    });
  });
});

describe("MetricModel", () => {
  it("a new device needs a birth; its birth declares every metric with a node-wide unique alias", () => {
    const m = model();
    expect(m.update("cryostat", { sampleTempK: 4, heaterRange: "medium" }, 1).birth).toBe(true);
    m.update("laser", { emission: true, powerMw: 1 }, 1);
    const cryostat = m.birth("cryostat");
    const laser = m.birth("laser");
    expect(cryostat).toEqual([
      {
        name: "sampleTempK",
        alias: 1,
        timestamp: 1,
        datatype: DataType.Double,
        properties: { engUnit: "K" },
        value: 4,
      },
      { name: "heaterRange", alias: 2, timestamp: 1, datatype: DataType.String, value: "medium" },
    ]);
    expect(laser.map((x) => [x.name, x.alias, x.datatype])).toEqual([
      ["emission", 3, DataType.Boolean],
      ["powerMw", 4, DataType.Double],
    ]);
  });

  it("reports a number only past its deadband: 0.5 % of the last value sent by default, or the configured absolute one", () => {
    const m = model({ "cryostat/heaterPercent": 2 });
    m.update("cryostat", { sampleTempK: 4, heaterPercent: 30 }, 0);
    m.birth("cryostat");
    // 0.5 % of 4 K is 0.02 K.
    expect(m.update("cryostat", { sampleTempK: 4.019, heaterPercent: 31.9 }, 1).changes).toEqual([]);
    expect(m.update("cryostat", { sampleTempK: 4.021, heaterPercent: 32.1 }, 2).changes).toEqual([
      { name: "sampleTempK", alias: 1, timestamp: 2, value: 4.021 },
      { name: "heaterPercent", alias: 2, timestamp: 2, value: 32.1 },
    ]);
    // Measured from the value sent (4.021), not from the last seen: a slow drift still goes out.
    expect(m.update("cryostat", { sampleTempK: 4.035 }, 3).changes).toEqual([]);
    expect(m.update("cryostat", { sampleTempK: 4.05 }, 4).changes.map((c) => c.value)).toEqual([4.05]);
  });

  it("strings and booleans go out on any change; a value that becomes non-finite goes out as null", () => {
    const m = model();
    m.update("laser", { emission: true, faults: "", powerMw: 1 }, 0);
    m.birth("laser");
    expect(m.update("laser", { emission: true, faults: "" }, 1).changes).toEqual([]);
    expect(m.update("laser", { emission: false, faults: "overtemp", powerMw: null }, 2).changes).toEqual([
      { name: "emission", alias: 1, timestamp: 2, value: false },
      { name: "faults", alias: 2, timestamp: 2, value: "overtemp" },
      { name: "powerMw", alias: 3, timestamp: 2, isNull: true },
    ]);
  });

  it("a metric the birth did not declare, or one that changes type, asks for a new birth", () => {
    const m = model();
    m.update("tagger", { streaming: true }, 0);
    m.birth("tagger");
    expect(m.update("tagger", { streaming: true }, 1).birth).toBe(false);
    expect(m.update("tagger", { streaming: true, windowS: 1 }, 2).birth).toBe(true);
    m.birth("tagger");
    expect(m.update("tagger", { windowS: "n/a" }, 3).birth).toBe(true);
    expect(m.birth("tagger").find((x) => x.name === "windowS")).toMatchObject({
      datatype: DataType.String,
      alias: 3,
    });
  });

  it("a killed device is left out of births until it reports again", () => {
    const m = model();
    m.update("cryostat", { sampleTempK: 4 }, 0);
    m.update("laser", { emission: true }, 0);
    expect(m.liveDeviceIds()).toEqual(["cryostat", "laser"]);
    m.birth("cryostat");
    expect(m.kill("cryostat")).toBe(true);
    expect(m.kill("laser")).toBe(false);
    expect(m.liveDeviceIds()).toEqual([]);
    expect(m.update("cryostat", { sampleTempK: 4 }, 1).birth).toBe(true);
    expect(m.liveDeviceIds()).toEqual(["cryostat"]);
  });

  it("finds a commanded metric by alias or by name", () => {
    const m = model();
    m.update("laser", { emission: true, powerMw: 1 }, 0);
    expect(m.find("laser", { alias: 2 })).toMatchObject({ name: "powerMw", datatype: DataType.Double });
    expect(m.find("laser", { name: "emission" })).toMatchObject({ alias: 1 });
    expect(m.find("laser", { alias: 99 })).toBeUndefined();
    expect(m.find("nobody", { alias: 1 })).toBeUndefined();
  });
});
