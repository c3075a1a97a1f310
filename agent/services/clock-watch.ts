/**
 * The wall clock watched against the monotonic one: a step (NTP correcting a drifted clock, a Pi
 * without a real-time clock setting it after boot, a person) shows as a jump in their difference,
 * while NTP's slewing (at most 0.5 ms a second) does not. A step raises `clock-step` (warning):
 * timestamps on either side of it do not compare, and nothing the agent times depends on it (ages,
 * retries and ticks run on the monotonic clock). Cleared after a minute without another; counted.
 */
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import type { Service } from "../service.js";

export interface ClockWatchDeps {
  bus: EventBus;
  logger: Logger;
  now?: () => number;
  monotonicMs?: () => number;
  checkMs?: number;
  /** A jump of the wall clock against the monotonic one larger than this is a step, ms. */
  stepMs?: number;
  clearAfterMs?: number;
}

export class ClockWatch implements Service {
  readonly name = "clock";
  private timer: NodeJS.Timeout | undefined;
  private offsetMs: number | undefined;
  private steps = 0;
  private lastStepMs = 0;
  private stepAt: number | undefined;
  private readonly now: () => number;
  private readonly mono: () => number;

  constructor(private readonly deps: ClockWatchDeps) {
    this.now = deps.now ?? Date.now;
    this.mono = deps.monotonicMs ?? (() => performance.now());
  }

  async start(): Promise<void> {
    this.check();
    this.timer = setInterval(() => this.check(), this.deps.checkMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  check(): void {
    const mono = this.mono();
    const offset = this.now() - mono;
    const jump = this.offsetMs === undefined ? 0 : offset - this.offsetMs;
    this.offsetMs = offset;
    if (Math.abs(jump) > (this.deps.stepMs ?? 1000)) {
      this.steps++;
      this.lastStepMs = jump;
      this.stepAt = mono;
      const message = `wall clock stepped ${jump > 0 ? "+" : ""}${(jump / 1000).toFixed(1)} s; timestamps before and after do not compare`;
      this.deps.logger.warn({ stepS: jump / 1000 }, message);
      this.alarm(true, message);
    } else if (this.stepAt !== undefined && mono - this.stepAt > (this.deps.clearAfterMs ?? 60_000)) {
      this.stepAt = undefined;
      this.alarm(false, "no wall-clock step for a minute");
    }
  }

  health(): TelemetryValues {
    return { clockSteps: this.steps, lastClockStepS: Number((this.lastStepMs / 1000).toFixed(3)) };
  }

  private alarm(active: boolean, message: string): void {
    this.deps.bus.emit("alarm", {
      ts: new Date(this.now()).toISOString(),
      name: "clock-step",
      active,
      severity: "warning",
      message,
    });
  }
}
