import sinon from "sinon";
import { describe, expect, it } from "vitest";
import { describeObisFaults, ObisLaser, obisReader } from "../../../hal/devices/obis-laser.js";
import { ProtocolError } from "../../../hal/errors.js";
import { fakeGpio, scriptedLink } from "../../helpers/fakes.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("OBIS handshake reader", () => {
  it("waits for OK, returns the value lines before it, and what it consumed", () => {
    expect(obisReader(bytes("9.998E-03\r\n"))).toBeUndefined();
    expect(obisReader(bytes("9.998E-03\r\nOK\r\nextra"))).toEqual({
      value: { ok: true, lines: ["9.998E-03"] },
      consumed: 15,
    });
    expect(obisReader(bytes("ERR-220\r\n"))?.value).toEqual({ ok: false, error: "ERR-220", lines: [] });
  });
});

describe("ObisLaser", () => {
  const make = (replies: Record<string, string>, maxPowerMw = 10) => {
    const { link, sent } = scriptedLink(replies);
    const permit = fakeGpio("out", 1);
    return { laser: new ObisLaser("laser", link, permit.line, { maxPowerMw }), sent, permit, link };
  };

  it("sets power in watts on the wire and reads it back in mW", async () => {
    const { laser, sent } = make({
      "SOUR:POW:LEV:IMM:AMPL 5.0000e-3": "OK",
      "SOUR:POW:LEV?": "4.9871E-03\r\nOK",
    });
    await laser.setPowerMw(5);
    expect(await laser.readPowerMw()).toBeCloseTo(4.9871, 6);
    expect(sent).toEqual(["SOUR:POW:LEV:IMM:AMPL 5.0000e-3", "SOUR:POW:LEV?"]);
  });

  it("refuses power above the bench's safety limit without sending anything", async () => {
    const { laser, link } = make({}, 2);
    await expect(laser.setPowerMw(2.5)).rejects.toThrow("outside 0…2 mW (safety limit)");
    expect(link.request.called).toBe(false);
  });

  it("turns an ERR reply into a ProtocolError carrying command and reply", async () => {
    const { laser } = make({ "SOUR:AM:STAT ON": "ERR-350" });
    const err = await laser.setEmission(true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ device: "laser", command: "SOUR:AM:STAT ON", reply: "ERR-350" });
  });

  it("decodes the fault word (bit 13 = laser not ready/locked, bit 0 = base plate temperature)", async () => {
    expect(describeObisFaults(8193)).toEqual(["base plate temperature", "laser ready (not locked)"]);
    const { laser } = make({ "SYST:FAUL?": "0x00002000\r\nOK" });
    expect(await laser.readFaults()).toEqual({ code: 8192, active: ["laser ready (not locked)"] });
  });

  it("makes itself safe by dropping the permit line before any serial traffic, then emission off as urgent", async () => {
    const { laser, permit, link } = make({ "SOUR:AM:STAT OFF": "OK" });
    await laser.makeSafe();
    expect(permit.value).toBe(0);
    sinon.assert.callOrder(permit.line.write, link.request);
    expect(link.request.firstCall.args[2]).toEqual({ priority: "urgent" });
  });
});
