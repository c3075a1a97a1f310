import { describe, expect, it } from "vitest";
import { LakeShore336 } from "../../../hal/devices/lakeshore336.js";
import { ProtocolError } from "../../../hal/errors.js";
import { scriptedLink } from "../../helpers/fakes.js";

const settings = { inputs: { sample: "A", detectorStage: "B" } as const, heaterOutput: 1 as const };

describe("LakeShore336", () => {
  it("reads a temperature with its reading status in one query", async () => {
    const { link, sent } = scriptedLink({ "KRDG? A;RDGST? A": "+004.0123;000" });
    const tc = new LakeShore336("cryostat", link, settings);
    expect(await tc.readTemperatureK("A")).toBeCloseTo(4.0123, 6);
    expect(sent).toEqual(["KRDG? A;RDGST? A"]);
  });

  it("refuses a reading the controller itself flags (sensor open → invalid, units over range)", async () => {
    const { link } = scriptedLink({ "KRDG? B;RDGST? B": "+000.0000;129" });
    const tc = new LakeShore336("cryostat", link, settings);
    const err = await tc.readTemperatureK("B").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).message).toContain("invalid reading, sensor units over range");
    expect((err as ProtocolError).device).toBe("cryostat");
    expect((err as ProtocolError).command).toBe("KRDG? B;RDGST? B");
  });

  it.each([
    ["+4.0Q23;000", "not a number"],
    ["+004.0123", "expected 2 fields"],
    ["-001.0000;000", "outside"],
    ["+9999.000;000", "outside"],
  ])("turns the reply %j into a ProtocolError (%s), never a number", async (reply, why) => {
    const { link } = scriptedLink({ "KRDG? A;RDGST? A": reply });
    const err = await new LakeShore336("cryostat", link, settings)
      .readTemperatureK("A")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as Error).message).toContain(why);
    expect((err as ProtocolError).reply).toBe(reply);
  });

  it("writes a set-point and checks the read-back", async () => {
    const { link } = scriptedLink({ "SETP 1,4.2500;SETP? 1": "+4.2500", "SETP 1,5.0000;SETP? 1": "+4.2500" });
    const tc = new LakeShore336("cryostat", link, settings);
    await tc.setSetpointK(1, 4.25);
    await expect(tc.setSetpointK(1, 5)).rejects.toThrow("reads back 4.25 K, not 5 K");
    await expect(tc.setSetpointK(1, -3)).rejects.toBeInstanceOf(RangeError);
  });

  it("reads every configured input, set-point, heater output and range in one round trip", async () => {
    const { link, sent } = scriptedLink({
      "KRDG? A;RDGST? A;KRDG? B;RDGST? B;SETP? 1;HTR? 1;RANGE? 1":
        "+004.0001;000;+002.5002;000;+4.0000;+030.0;2",
    });
    const values = await new LakeShore336("cryostat", link, settings).readTelemetry();
    expect(values).toEqual({
      sampleTempK: 4.0001,
      detectorStageTempK: 2.5002,
      setpointK: 4,
      heaterPercent: 30,
      heaterRange: "medium",
    });
    expect(sent).toHaveLength(1);
  });

  it("checks the identification", async () => {
    const ok = scriptedLink({ "*IDN?": "LSCI,MODEL336,1234567/1234567,2.9" });
    expect(await new LakeShore336("c", ok.link, settings).identify()).toBe(
      "LSCI,MODEL336,1234567/1234567,2.9",
    );
    const other = scriptedLink({ "*IDN?": "KEITHLEY,2000,1,A" });
    await expect(new LakeShore336("c", other.link, settings).identify()).rejects.toBeInstanceOf(
      ProtocolError,
    );
  });
});
