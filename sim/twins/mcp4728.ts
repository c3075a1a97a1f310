/**
 * MCP4728 register map: Multi-Write commands (3 bytes each, several per transfer) set a
 * channel's output register; a 24-byte read returns each channel's output register and EEPROM.
 */
import type { I2cTarget } from "./i2c.js";

export class Mcp4728Twin implements I2cTarget {
  private readonly codes: number[];
  private readonly configBits = [0x90, 0x90, 0x90, 0x90]; // internal Vref, gain ×2

  /** `onWrite(channel, code)` is told of every output change. */
  constructor(
    initialCodes: readonly number[],
    private readonly onWrite: (channel: number, code: number) => void,
  ) {
    this.codes = [0, 1, 2, 3].map((c) => initialCodes[c] ?? 0);
  }

  writeRaw(bytes: Uint8Array): void {
    if (bytes.length === 0 || bytes.length % 3 !== 0)
      throw new Error(`MCP4728 write of ${bytes.length} bytes`);
    for (let at = 0; at < bytes.length; at += 3) {
      const command = bytes[at]!;
      if (command >> 3 !== 0b01000)
        throw new Error(`MCP4728 command 0x${command.toString(16)} not simulated`);
      const channel = (command >> 1) & 0b11;
      this.configBits[channel] = bytes[at + 1]! & 0xf0;
      this.codes[channel] = ((bytes[at + 1]! & 0x0f) << 8) | bytes[at + 2]!;
      this.onWrite(channel, this.codes[channel]!);
    }
  }

  readRaw(length: number): Uint8Array {
    const out = new Uint8Array(24);
    for (let ch = 0; ch < 4; ch++) {
      const header = 0x80 | (ch << 4); // RDY, channel, address bits 0
      const hi = this.configBits[ch]! | (this.codes[ch]! >> 8);
      out.set([header, hi, this.codes[ch]! & 0xff, header | 0x08, hi, this.codes[ch]! & 0xff], ch * 6);
    }
    return out.slice(0, length);
  }
}
