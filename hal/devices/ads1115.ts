/**
 * TI ADS1115 16-bit I²C ADC (datasheet SBAS444): single-shot conversions of one single-ended
 * input at a time. Registers are big-endian 16-bit: 0x00 conversion, 0x01 config. One chip may
 * serve several devices (two detectors' monitors), so conversions on a chip are serialised here:
 * a conversion is config write → wait → read, and another device's config write in between
 * would read the wrong input.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { DeviceTimeout, ProtocolError } from "../errors.js";
import type { I2cBus, PowerMonitor, TelemetryValues } from "../interfaces.js";

export const ADS1115_REG_CONVERSION = 0x00;
export const ADS1115_REG_CONFIG = 0x01;
/** Config bits (SBAS444 §9.6.3). */
export const ADS1115_OS = 0x8000;
const MUX_SINGLE_ENDED = 0b100; // MUX = 1xx: AINx against GND
const MODE_SINGLE_SHOT = 0x0100;
const DR_128_SPS = 0b100 << 5;
const COMP_DISABLED = 0b11;
/** 128 samples/s → 7.8 ms per conversion; poll a little after that. */
export const ADS1115_CONVERSION_MS = 8;
const MAX_POLLS = 5;

/** Full-scale ranges (datasheet SBAS444, table 3), volts: the PGA setting is the index. */
export const ads1115FullScaleV = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256] as const;
export type Ads1115FullScale = (typeof ads1115FullScaleV)[number];

export function ads1115Config(input: number, fullScaleV: number): number {
  const pga = (ads1115FullScaleV as readonly number[]).indexOf(fullScaleV);
  if (pga < 0)
    throw new RangeError(`ADS1115 full scale ${fullScaleV} V is not one of ${ads1115FullScaleV.join(", ")}`);
  if (!Number.isInteger(input) || input < 0 || input > 3)
    throw new RangeError(`ADS1115 input ${input} is not 0–3`);
  return (
    ADS1115_OS |
    ((MUX_SINGLE_ENDED | input) << 12) |
    (pga << 9) |
    MODE_SINGLE_SHOT |
    DR_128_SPS |
    COMP_DISABLED
  );
}

export class Ads1115 {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    /** The device name that errors carry. */
    readonly device: string,
    private readonly bus: I2cBus,
    readonly address: number,
    /** How the driver waits for a conversion; tests pass an immediate one. */
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
  ) {}

  /** Single-ended voltage at `input`, V. A reading at either end of the scale is over range. */
  readInputV(input: number, fullScaleV: number): Promise<number> {
    const run = this.queue.then(() => this.convert(input, fullScaleV));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async convert(input: number, fullScaleV: number): Promise<number> {
    const config = ads1115Config(input, fullScaleV);
    await this.bus.writeBlock(this.address, ADS1115_REG_CONFIG, new Uint8Array([config >> 8, config & 0xff]));
    for (let poll = 0; ; poll++) {
      await this.wait(ADS1115_CONVERSION_MS);
      const status = await this.readRegister(ADS1115_REG_CONFIG);
      if (status & ADS1115_OS) break;
      if (poll + 1 >= MAX_POLLS)
        throw new DeviceTimeout(
          `conversion of input ${input} not done after ${MAX_POLLS * ADS1115_CONVERSION_MS} ms`,
          {
            device: this.device,
            command: `ADS1115 0x${this.address.toString(16)} config 0x${config.toString(16)}`,
          },
        );
    }
    const raw = await this.readRegister(ADS1115_REG_CONVERSION);
    const counts = raw >= 0x8000 ? raw - 0x10000 : raw;
    if (counts >= 0x7fff || counts <= -0x8000)
      throw new ProtocolError(`input ${input} over range (beyond ±${fullScaleV} V)`, {
        device: this.device,
        command: `ADS1115 0x${this.address.toString(16)} input ${input}`,
        reply: `0x${raw.toString(16)}`,
      });
    return (counts * fullScaleV) / 0x8000;
  }

  private async readRegister(register: number): Promise<number> {
    const bytes = await this.bus.readBlock(this.address, register, 2);
    if (bytes.length !== 2)
      throw new ProtocolError(`short read of register ${register}: ${bytes.length} bytes`, {
        device: this.device,
      });
    return (bytes[0]! << 8) | bytes[1]!;
  }
}

export interface PowerMonitorChannel {
  name: string;
  input: number;
  fullScaleV: number;
  /** Quantity per volt at the input (e.g. mW/V). */
  perVolt: number;
}

/** A photodiode/power monitor: named channels on one ADS1115. */
export class Ads1115PowerMonitor implements PowerMonitor {
  constructor(
    readonly name: string,
    private readonly adc: Ads1115,
    private readonly channels: readonly PowerMonitorChannel[],
  ) {}

  readInputV(input: number): Promise<number> {
    const channel = this.channels.find((c) => c.input === input);
    return this.adc.readInputV(input, channel?.fullScaleV ?? 4.096);
  }

  async readChannels(): Promise<Record<string, number>> {
    const values: Record<string, number> = {};
    for (const c of this.channels)
      values[c.name] = (await this.adc.readInputV(c.input, c.fullScaleV)) * c.perVolt;
    return values;
  }

  readTelemetry(): Promise<TelemetryValues> {
    return this.readChannels();
  }
}
