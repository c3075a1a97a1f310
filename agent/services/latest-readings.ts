/**
 * The last good telemetry of every device, with the time it was read: what the interlocks
 * check temperatures against. A device that stops answering simply grows old here; the
 * interlock treats an old reading as unknown, which trips (fail safe). Ages come from the
 * monotonic clock: a step of the wall clock (NTP correcting it, a Pi without a real-time clock
 * setting it at boot) neither ages a fresh reading (a false trip) nor makes an old one look fresh
 * (a stale temperature missed for as long as the step).
 */
import type { TelemetryValues } from "../../hal/interfaces.js";

export interface Reading {
  /** Wall-clock time of the reading (for timestamps). */
  atMs: number;
  /** Monotonic time of the reading (for its age). */
  monotonicMs: number;
  values: TelemetryValues;
}

export class LatestReadings {
  private readonly readings = new Map<string, Reading>();

  constructor(private readonly monotonicMs: () => number = () => performance.now()) {}

  set(device: string, values: TelemetryValues, atMs: number): void {
    this.readings.set(device, { atMs, monotonicMs: this.monotonicMs(), values });
  }

  get(device: string): Reading | undefined {
    return this.readings.get(device);
  }

  /** A number from a device's last reading and its age, or undefined if never read or not a number. */
  number(device: string, key: string): { value: number; ageS: number } | undefined {
    const reading = this.readings.get(device);
    const value = reading?.values[key];
    if (reading === undefined || typeof value !== "number") return undefined;
    return { value, ageS: (this.monotonicMs() - reading.monotonicMs) / 1000 };
  }
}
