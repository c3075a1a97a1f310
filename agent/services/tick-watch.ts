/**
 * Two small helpers of a loop that must run on time and must not flood the log: the lag of each
 * tick behind its period (and overruns, ticks later by more than a period), and a failure log
 * that speaks when an action starts failing, when its error changes, and once when it recovers.
 */
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import { describeFault } from "./telemetry.js";

export class TickLag {
  private lastAt: number | undefined;
  private lastMs = 0;
  private maxMs = 0;
  private overruns = 0;
  private ticks = 0;

  /** Call at the start of each tick. */
  tick(periodMs: number, at = performance.now()): void {
    if (this.lastAt !== undefined) {
      const lag = Math.max(0, at - this.lastAt - periodMs);
      this.lastMs = lag;
      this.maxMs = Math.max(this.maxMs, lag);
      if (lag > periodMs) this.overruns++;
    }
    this.lastAt = at;
    this.ticks++;
  }

  /** How late the last tick started, ms. */
  get lastLagMs(): number {
    return this.lastMs;
  }

  values(): TelemetryValues {
    return {
      ticks: this.ticks,
      lastTickLagMs: Number(this.lastMs.toFixed(2)),
      maxTickLagMs: Number(this.maxMs.toFixed(2)),
      overruns: this.overruns,
    };
  }
}

export class FailureLog {
  /** Actions failing now, with their last error message. */
  private readonly failures = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  /** `err` undefined: the action worked. */
  note(what: string, err: unknown, message = ""): void {
    const last = this.failures.get(what);
    if (err === undefined) {
      if (last !== undefined) this.logger.info({ what }, `${what}: working again`);
      this.failures.delete(what);
      return;
    }
    const fault = describeFault(err);
    if (last !== fault.message) this.logger.error({ what, ...fault }, `${what}: ${message}`);
    this.failures.set(what, fault.message);
  }
}

/**
 * `interlock-tick`: raised when a tick starts more than `latePeriods` periods late (the process
 * was starved or stopped: the agent was not watching, the hardware chain was), cleared after 20
 * ticks on time.
 */
export class LateTicks {
  private lateSince: Date | undefined;
  private onTime = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly latePeriods = 10,
  ) {}

  check(lagMs: number, periodMs: number): void {
    const late = lagMs > this.latePeriods * periodMs;
    this.onTime = late ? 0 : this.onTime + 1;
    if (late && !this.lateSince) {
      this.lateSince = new Date(this.now());
      const message = `an interlock tick came ${Math.round(lagMs)} ms late: the agent was not watching meanwhile (the hardware chain was)`;
      this.logger.error({ lagMs }, message);
      this.emit(true, message);
    } else if (!late && this.lateSince && this.onTime >= 20) {
      this.emit(false, "interlock ticks on time again");
      this.lateSince = undefined;
    }
  }

  private emit(active: boolean, message: string): void {
    this.bus.emit("alarm", {
      ts: new Date(this.now()).toISOString(),
      name: "interlock-tick",
      active,
      severity: "critical",
      message,
      since: this.lateSince!.toISOString(),
    });
  }
}
