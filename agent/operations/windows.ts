/**
 * When the bench is not expected to perform: warm-up and maintenance. Warm-up starts when the
 * agent starts, when a laser's emission comes on, and at the end of a cool-down (the `cold`
 * condition true again after it was false: the cryostat back in its band after a trip); it ends
 * once every `stable` condition has held for `stableForS` and at least `minS` have passed since it
 * began. Leaving the stable state otherwise is an outage, not a warm-up: it is counted and pages. Maintenance windows come from the
 * bench file or from `maintenance/start` (in memory: a restart ends an opened window, the bench
 * file's stay). During either, alert rules are suppressed and availability is not counted.
 */
import type { Condition, OperationsConfig } from "../../config/operations.js";
import type { MetricView } from "./metric-view.js";

export type Quiet =
  | { kind: "warm-up"; since: string; reason: string }
  | { kind: "maintenance"; until: string; reason: string };

export class BenchWindows {
  private warmUpSince: number | undefined;
  private warmUpReason = "agent start";
  private stableSince: number | undefined;
  private opened: { until: number; reason: string; by: string } | undefined;
  private readonly emission = new Map<string, boolean>();
  private wasCold: boolean | undefined;

  constructor(
    private readonly settings: () => OperationsConfig,
    private readonly view: MetricView,
    private readonly now: () => number = Date.now,
  ) {
    this.warmUpSince = now();
  }

  /** Once a second: advances warm-up (a laser switched on restarts it). */
  update(laserEmission: ReadonlyMap<string, boolean>): void {
    const t = this.now();
    for (const [laser, on] of laserEmission) {
      if (on && this.emission.get(laser) === false) this.beginWarmUp(`${laser} emission on`, t);
      this.emission.set(laser, on);
    }
    const s = this.settings().warmUp;
    if (s.cold) {
      const cold = this.view.holds(s.cold);
      if (cold === true && this.wasCold === false) this.beginWarmUp("cooled down again", t);
      if (cold !== undefined) this.wasCold = cold;
    }
    const conditions: readonly Condition[] = s.stable ?? this.settings().usable;
    if (!conditions.every((c) => this.view.holds(c) === true)) {
      this.stableSince = undefined;
      return;
    }
    this.stableSince ??= t;
    if (
      this.warmUpSince !== undefined &&
      t - this.warmUpSince >= s.minS * 1000 &&
      t - this.stableSince >= s.stableForS * 1000
    )
      this.warmUpSince = undefined;
  }

  private beginWarmUp(reason: string, t: number): void {
    this.warmUpSince = t;
    this.warmUpReason = reason;
    this.stableSince = undefined;
  }

  openMaintenance(minutes: number, reason: string, by: string): { until: string } {
    this.opened = { until: this.now() + minutes * 60_000, reason, by };
    return { until: new Date(this.opened.until).toISOString() };
  }

  closeMaintenance(): boolean {
    const was = this.opened !== undefined && this.opened.until > this.now();
    this.opened = undefined;
    return was;
  }

  /** Why the bench is not expected to perform now, or undefined if it is. */
  quiet(): Quiet | undefined {
    const t = this.now();
    if (this.opened && this.opened.until > t)
      return {
        kind: "maintenance",
        until: new Date(this.opened.until).toISOString(),
        reason: this.opened.reason,
      };
    for (const w of this.settings().maintenance)
      if (Date.parse(w.from) <= t && t < Date.parse(w.to))
        return { kind: "maintenance", until: w.to, reason: w.reason };
    if (this.warmUpSince !== undefined)
      return { kind: "warm-up", since: new Date(this.warmUpSince).toISOString(), reason: this.warmUpReason };
    return undefined;
  }
}
