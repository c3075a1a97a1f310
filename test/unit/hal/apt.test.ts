/**
 * APT framing against the byte strings the protocol document and its open implementations quote
 * (../shared/INSTRUMENTS.md §3), and the reply reader over what a unit really interleaves.
 */
import { describe, expect, it } from "vitest";
import { aptErrorText, aptLong, aptParse, aptReplyReader, aptShort, MSG } from "../../../hal/devices/apt.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").replace(/(..)/g, "$1 ").trim();

describe("APT messages", () => {
  it("builds MOD_IDENTIFY and PZ_SET_OUTPUTVOLTS as the protocol quotes them", () => {
    expect(hex(aptShort(MSG.MOD_IDENTIFY, 0x01))).toBe("23 02 01 00 50 01");
    // Channel 1 at 50 % of the limit: 16384 = 0x4000.
    const data = Buffer.from([0x01, 0x00, 0x00, 0x40]);
    expect(hex(aptLong(MSG.PZ_SET_OUTPUTVOLTS, data))).toBe("43 06 04 00 d0 01 01 00 00 40");
  });

  it("parses header-only and data messages, and waits for an incomplete one", () => {
    const enable = Buffer.from([0x12, 0x02, 0x01, 0x01, 0x01, 0x50]);
    expect(aptParse(enable)).toEqual({
      message: { id: 0x0212, p1: 1, p2: 1, source: 0x50, data: Buffer.alloc(0) },
      length: 6,
    });
    const volts = Buffer.from([0x45, 0x06, 0x04, 0x00, 0x81, 0x50, 0x01, 0x00, 0xff, 0x7f]);
    expect(aptParse(volts)?.message.data.readInt16LE(2)).toBe(32767);
    expect(aptParse(volts.subarray(0, 9))).toBeUndefined();
  });

  it("reads past a status update to the awaited reply, and stops at an error report", () => {
    const status = Buffer.from([0x61, 0x06, 0x02, 0x00, 0x81, 0x50, 0x00, 0x00]); // PZ_GET_PZSTATUSUPDATE, short
    const volts = Buffer.from([0x45, 0x06, 0x04, 0x00, 0x81, 0x50, 0x01, 0x00, 0x00, 0x20]);
    const read = aptReplyReader(MSG.PZ_GET_OUTPUTVOLTS);
    expect(read(Buffer.concat([status, volts.subarray(0, 7)]))).toBeUndefined();
    const done = read(Buffer.concat([status, volts]));
    expect(done?.consumed).toBe(18);
    expect(done?.value.data.readInt16LE(2)).toBe(0x2000);
    const rich = Buffer.alloc(68);
    rich.writeUInt16LE(0x0643, 0);
    rich.writeUInt16LE(10_003, 2);
    rich.write("Out of range", 4, "latin1");
    const error = read(aptLong(MSG.HW_RICHRESPONSE, rich, 0x01));
    expect(aptErrorText(error!.value)).toBe("the unit reported error 10003 for message 0x0643: Out of range");
  });
});
