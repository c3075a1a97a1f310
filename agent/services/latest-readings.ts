/**
 * The last good telemetry of every device, with the time it was read: what the interlocks
 * check temperatures against. A device that stops answering simply grows old here; the
 * interlock treats an old reading as unknown, which trips (fail safe).
 */
import type { TelemetryValues } from "../../hal/interfaces.js";

export interface Reading {
  atMs: number;
  values: TelemetryValues;
}

export class LatestReadings {
  private readonly readings = new Map<string, Reading>();

  set(device: string, values: TelemetryValues, atMs: number): void {
    this.readings.set(device, { atMs, values });
  }

  get(device: string): Reading | undefined {
    return this.readings.get(device);
  }

  /** A number from a device's last reading and its age, or undefined if never read or not a number. */
  number(device: string, key: string, nowMs: number): { value: number; ageS: number } | undefined {
    const reading = this.readings.get(device);
    const value = reading?.values[key];
    if (reading === undefined || typeof value !== "number") return undefined;
    return { value, ageS: (nowMs - reading.atMs) / 1000 };
  }
}
