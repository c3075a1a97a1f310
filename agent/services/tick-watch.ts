/**
 * Two small helpers of a loop that must run on time and must not flood the log: the lag of each
 * tick behind its period (and overruns, ticks later by more than a period), and a failure log
 * that speaks when an action starts failing, when its error changes, and once when it recovers.
 */
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
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
