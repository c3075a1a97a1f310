import { describe, expect, it } from "vitest";
import { crc16Modbus, f70Frame, parseF70Reply, SumitomoF70 } from "../../../hal/devices/sumitomo-f70.js";
import { ProtocolError } from "../../../hal/errors.js";
import { scriptedLink } from "../../helpers/fakes.js";

describe("F-70 framing", () => {
  it("matches the command frames printed in the F-70 manual", () => {
    expect(["STA", "PRA", "TEA", "ID1", "ON1", "OFF", "RS1"].map(f70Frame)).toEqual([
      "$STA3504",
      "$PRA95F7",
      "$TEAA4B9",
      "$ID1D629",
      "$ON177CF",
      "$OFF9188",
      "$RS12156",
    ]);
    expect(crc16Modbus("$STA,0000,")).toBe(0xfad0);
  });

  it("checks a reply's CRC and echo", () => {
    const ctx = { device: "compressor", command: "$STA3504" };
    expect(parseF70Reply("$STA,0000,FAD0", "STA", ctx)).toEqual(["0000"]);
    expect(() => parseF70Reply("$STA,0001,FAD0", "STA", ctx)).toThrow("CRC mismatch");
    expect(() => parseF70Reply("$???,3278", "STA", ctx)).toThrow("did not understand");
    expect(() => parseF70Reply("garbage", "STA", ctx)).toThrow(ProtocolError);
  });
});

describe("SumitomoF70", () => {
  it("decodes the status word: running remote-on with the solenoid open, then a tripped compressor", async () => {
    const word = (w: number) => {
      const body = `$STA,${w.toString(16).toUpperCase().padStart(4, "0")},`;
      return body + crc16Modbus(body).toString(16).toUpperCase().padStart(4, "0");
    };
    // remote-on = state 3 in bits 9–11; system on = bit 0; solenoid = bit 8.
    const running = scriptedLink({ $STA3504: word((3 << 9) | 0x101) });
    expect(await new SumitomoF70("c", running.link).readStatus()).toEqual({
      running: true,
      state: "remote-on",
      alarms: [],
    });
    // fault-off = state 6, water-temperature alarm = bit 4, pressure alarm = bit 7.
    const tripped = scriptedLink({ $STA3504: word((6 << 9) | (1 << 4) | (1 << 7)) });
    expect(await new SumitomoF70("c", tripped.link).readStatus()).toEqual({
      running: false,
      state: "fault-off",
      alarms: ["water temperature", "pressure"],
    });
  });

  it("reads supply and return pressure in psig and refuses an impossible one", async () => {
    const reply = (p1: string, p2: string) => {
      const body = `$PRA,${p1},${p2},`;
      return body + crc16Modbus(body).toString(16).toUpperCase().padStart(4, "0");
    };
    const ok = scriptedLink({ $PRA95F7: reply("290", "095") });
    expect(await new SumitomoF70("c", ok.link).readPressuresPsig()).toEqual({
      supplyPsig: 290,
      returnPsig: 95,
    });
    const bad = scriptedLink({ $PRA95F7: reply("2900", "095") });
    await expect(new SumitomoF70("c", bad.link).readPressuresPsig()).rejects.toThrow(
      "supply pressure 2900 outside",
    );
  });
});
