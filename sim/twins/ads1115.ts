/**
 * ADS1115 register map: writing the config register with OS set converts the selected input at
 * once (the driver still waits the conversion time), reading register 0 gives the result as the
 * chip does: 16-bit two's complement, big-endian, clipped at ±full scale.
 */
import { ads1115FullScaleV } from "../../hal/devices/ads1115.js";
import type { I2cTarget } from "./i2c.js";

export class Ads1115Twin implements I2cTarget {
  private config = 0x8583; // power-on default (SBAS444 table 8)
  private conversion = 0;

  /** `inputs[i]()` is the voltage at AINi, V. */
  constructor(private readonly inputs: ReadonlyArray<() => number>) {}

  writeRegister(register: number, bytes: Uint8Array): void {
    if (bytes.length !== 2) throw new Error(`ADS1115 takes 2-byte register writes, got ${bytes.length}`);
    const value = (bytes[0]! << 8) | bytes[1]!;
    if (register !== 0x01) return; // conversion register is read-only; threshold registers unused
    this.config = value;
    if (value & 0x8000) this.convert();
  }

  readRegister(register: number, length: number): Uint8Array {
    const value = register === 0x00 ? this.conversion & 0xffff : register === 0x01 ? this.config | 0x8000 : 0;
    return new Uint8Array([value >> 8, value & 0xff].slice(0, length));
  }

  private convert(): void {
    const mux = (this.config >> 12) & 0b111;
    const fullScaleV = ads1115FullScaleV[Math.min(5, (this.config >> 9) & 0b111)]!;
    const volts = mux >= 0b100 ? (this.inputs[mux - 0b100]?.() ?? 0) : 0;
    this.conversion = Math.max(-0x8000, Math.min(0x7fff, Math.round((volts / fullScaleV) * 0x8000)));
  }
}
