/**
 * Samples every device's telemetry each period and publishes it. Devices are read concurrently
 * and independently: one that hangs or fails never delays the others. A failed read marks the
 * device faulted — its topic then carries the error, never an old value — and it is retried with
 * exponential backoff; the fault is logged once when it starts and once when it clears.
 */
import type { BenchConfig } from "../../config/schema.js";
import { HalError } from "../../hal/errors.js";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { Backoff } from "../backoff.js";
import type { SampledDevice } from "../devices.js";
import type { DeviceFault, EventBus } from "../events.js";
import type { PreparedChange, Service } from "../service.js";
import type { LatestReadings } from "./latest-readings.js";

export interface SamplerSettings {
  periodMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

interface DeviceState {
  device: SampledDevice;
  seq: number;
  reading: boolean;
  /** `nextTryAtMs` is monotonic (performance.now): a wall-clock step must not move a retry by an hour. */
  fault: { error: DeviceFault; since: Date; nextTryAtMs: number } | undefined;
  backoff: Backoff;
  /** What the instrument itself reports as wrong (see reportedFault), and since when. */
  reported: { what: string; since: Date } | undefined;
}

/**
 * What an instrument that answers reports as wrong in its own reading: a laser's `faults` (an
 * unlock), a compressor's `alarms` (a trip), a detector `latched`. Undefined when all is well.
 */
export function reportedFault(values: TelemetryValues): string | undefined {
  const parts: string[] = [];
  for (const key of ["faults", "alarms"] as const) {
    const v = values[key];
    if (Array.isArray(v) && v.length > 0) parts.push(v.join(", "));
  }
  if (values.latched === true) parts.push("latched");
  return parts.length > 0 ? parts.join("; ") : undefined;
}

export function describeFault(err: unknown): DeviceFault {
  if (err instanceof HalError) return err.toJSON();
  if (err instanceof Error) return { error: err.name, message: err.message };
  return { error: "Error", message: String(err) };
}

export interface SamplerDeps {
  /** What to sample, asked at start (the devices are built by then). */
  sources: () => readonly SampledDevice[];
  settings: SamplerSettings;
  latest: LatestReadings;
  /** Readings and faults go out here. */
  bus: EventBus;
  logger: Logger;
  now?: () => number;
}

export class TelemetrySampler implements Service {
  readonly name = "telemetry";
  private states: DeviceState[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly settings: SamplerSettings;
  private readonly latest: LatestReadings;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly deps: SamplerDeps) {
    this.settings = { ...deps.settings };
    this.latest = deps.latest;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (this.timer) return;
    this.states = this.deps.sources().map((device) => ({
      device,
      seq: 0,
      reading: false,
      reported: undefined,
      fault: undefined,
      backoff: new Backoff(this.settings.retryInitialMs, this.settings.retryMaxMs),
    }));
    this.tick();
    this.timer = setInterval(() => this.tick(), this.settings.periodMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** The sampling period and the retry backoff change live (the next round keeps the new period). */
  prepare(next: BenchConfig): PreparedChange {
    const settings = { ...next.loops.telemetry };
    return {
      paths: ["loops.telemetry"],
      commit: () => {
        Object.assign(this.settings, settings);
        if (!this.timer) return;
        clearInterval(this.timer);
        this.timer = setInterval(() => this.tick(), this.settings.periodMs);
      },
      abort: () => {},
    };
  }

  /** `instrument-<name>`: raised while the device reports a fault of its own, cleared when it stops. */
  private instrumentAlarm(state: DeviceState, what: string | undefined, atMs: number): void {
    if (what === state.reported?.what) return;
    const name = state.device.name;
    const since = what === undefined ? state.reported!.since : new Date(atMs);
    state.reported = what === undefined ? undefined : { what, since };
    this.deps.bus.emit("alarm", {
      ts: new Date(atMs).toISOString(),
      name: `instrument-${name}`,
      active: what !== undefined,
      severity: "warning",
      message: what === undefined ? `${name} reports no fault` : `${name} reports: ${what}`,
      since: since.toISOString(),
    });
  }

  /** `device-<name>`: raised when a device stops answering (or answers garbage), cleared when it answers again. */
  private deviceAlarm(device: string, atMs: number, fault: string | undefined, since: Date): void {
    this.deps.bus.emit("alarm", {
      ts: new Date(atMs).toISOString(),
      name: `device-${device}`,
      active: fault !== undefined,
      severity: "warning",
      message: fault === undefined ? `${device} answers again` : `${device} faulted: ${fault}`,
      since: since.toISOString(),
    });
  }

  /** One sampling round: every device not still busy with its previous read. */
  tick(): void {
    for (const state of this.states) {
      if (state.reading) continue;
      const fault = state.fault;
      if (fault && performance.now() < fault.nextTryAtMs) {
        this.publishFault(state);
        continue;
      }
      const read = this.read(state);
      this.inFlight.add(read);
      void read.finally(() => this.inFlight.delete(read));
    }
  }

  private async read(state: DeviceState): Promise<void> {
    state.reading = true;
    const { name } = state.device;
    try {
      const values = await state.device.source.readTelemetry();
      const at = this.now();
      if (state.fault) {
        this.logger.info(
          { device: name, faultedForS: (at - state.fault.since.getTime()) / 1000 },
          "device answers again",
        );
        this.deviceAlarm(name, at, undefined, state.fault.since);
      }
      state.fault = undefined;
      state.backoff.reset();
      this.latest.set(name, values, at);
      this.deps.bus.emit("telemetry", { ...this.header(state, at), state: "ok", values });
      this.instrumentAlarm(state, reportedFault(values), at);
    } catch (err) {
      const at = this.now();
      const error = describeFault(err);
      const retryMs = state.backoff.next();
      if (!state.fault || state.fault.error.message !== error.message)
        this.logger.error({ device: name, ...error, retryInMs: retryMs }, `device faulted: ${error.message}`);
      if (!state.fault) this.deviceAlarm(name, at, error.message, new Date(at));
      state.fault = {
        error,
        since: state.fault?.since ?? new Date(at),
        nextTryAtMs: performance.now() + retryMs,
      };
      this.publishFault(state);
    } finally {
      state.reading = false;
    }
  }

  private header(state: DeviceState, atMs: number) {
    return {
      ts: new Date(atMs).toISOString(),
      seq: ++state.seq,
      device: state.device.name,
      type: state.device.type,
    };
  }

  private publishFault(state: DeviceState): void {
    const fault = state.fault!;
    const at = this.now();
    this.deps.bus.emit("telemetry", {
      ...this.header(state, at),
      state: "faulted",
      fault: fault.error,
      faultedSince: fault.since.toISOString(),
      nextRetryInS: Math.max(0, (fault.nextTryAtMs - performance.now()) / 1000),
    });
  }

  health(): TelemetryValues {
    return { faultedDevices: this.faultedDevices() };
  }

  /** Devices faulted now, for the status topic and tests. */
  faultedDevices(): string[] {
    return this.states.filter((s) => s.fault).map((s) => s.device.name);
  }
}
