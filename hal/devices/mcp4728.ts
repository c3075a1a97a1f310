/**
 * Microchip MCP4728 quad 12-bit I²C DAC (datasheet DS22187). Every channel is driven from the
 * internal 2.048 V reference with gain ×2, so full scale is 4.096 V and one code is 1 mV.
 *
 * Writes use the Multi-Write command (§5.6.2): 0b01000 DAC1 DAC0 UDAC, then
 * VREF PD1 PD0 GX D11–D8, then D7–D0. A read returns 24 bytes: per channel 3 bytes of the output
 * register and 3 of its EEPROM (§5.7); byte 0 carries the channel number in bits 5–4.
 */
import { ProtocolError } from "../errors.js";
import type { I2cBus } from "../interfaces.js";

export const MCP4728_FULL_SCALE_V = 4.096;
export const MCP4728_MAX_CODE = 4095;
const MULTI_WRITE = 0b01000 << 3;
const VREF_INTERNAL = 0x80;
const GAIN_X2 = 0x10;

export class Mcp4728 {
  constructor(
    readonly device: string,
    private readonly bus: I2cBus,
    readonly address: number,
  ) {}

  async writeCode(channel: number, code: number): Promise<void> {
    if (!Number.isInteger(channel) || channel < 0 || channel > 3)
      throw new RangeError(`MCP4728 channel ${channel} is not 0–3`);
    if (!Number.isInteger(code) || code < 0 || code > MCP4728_MAX_CODE)
      throw new RangeError(`MCP4728 code ${code} is not 0–${MCP4728_MAX_CODE}`);
    // UDAC = 0: the output updates at the end of this write.
    await this.bus.writeRaw(
      this.address,
      new Uint8Array([MULTI_WRITE | (channel << 1), VREF_INTERNAL | GAIN_X2 | (code >> 8), code & 0xff]),
    );
  }

  writeVolts(channel: number, volts: number): Promise<void> {
    return this.writeCode(channel, Math.round((volts / MCP4728_FULL_SCALE_V) * (MCP4728_MAX_CODE + 1)));
  }

  /** The four output registers as codes, checked for the configuration this driver writes. */
  async readCodes(): Promise<number[]> {
    const bytes = await this.bus.readRaw(this.address, 24);
    const reply = () => Buffer.from(bytes).toString("hex");
    if (bytes.length !== 24)
      throw new ProtocolError(`read ${bytes.length} bytes, expected 24`, {
        device: this.device,
        reply: reply(),
      });
    const codes: number[] = [];
    for (let channel = 0; channel < 4; channel++) {
      const b0 = bytes[channel * 6]!;
      const b1 = bytes[channel * 6 + 1]!;
      const b2 = bytes[channel * 6 + 2]!;
      if (((b0 >> 4) & 0b11) !== channel)
        throw new ProtocolError(`channel ${channel} read-back names channel ${(b0 >> 4) & 0b11}`, {
          device: this.device,
          reply: reply(),
        });
      codes.push(((b1 & 0x0f) << 8) | b2);
    }
    return codes;
  }

  async readVolts(channel: number): Promise<number> {
    const code = (await this.readCodes())[channel]!;
    return (code / (MCP4728_MAX_CODE + 1)) * MCP4728_FULL_SCALE_V;
  }
}
