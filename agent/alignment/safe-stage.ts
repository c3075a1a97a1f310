/**
 * Every alignment move goes through here: soft limits (a target outside is clamped to the limit,
 * logged and counted — never commanded), a maximum step (a long move is cut into steps) and a
 * maximum slew rate (each step takes at least step/slew), a settle time, and a gate that refuses
 * motion while an interlock is active or the actuator reports a fault. Piezo hysteresis and
 * stepper backlash: `approachUm` always arrives from below, after an overshoot, so a position is
 * reached the same way every time.
 */
import type { Axis } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { type AlignmentClock, MotionBlocked } from "./types.js";

export interface StageLimits {
  limitsUm: Partial<Record<Axis, { minUm: number; maxUm: number }>>;
  maxStepUm: number;
  maxSlewUmPerS: number;
  settleS: number;
  /** How far below a target `approachUm` starts, µm (more than a stepper's backlash). */
  approachUm: number;
  /** Reach every position from below (steppers with backlash), not only the peak fit's. */
  approachEveryMove: boolean;
}

export interface StageDriver {
  moveToUm(axis: Axis, positionUm: number): Promise<void>;
}

export class SafeStage {
  private readonly commanded: Partial<Record<Axis, number>> = {};
  clampedMoves = 0;
  private readonly lastClampWarnS: Partial<Record<Axis, number>> = {};
  moves = 0;

  constructor(
    readonly axes: readonly Axis[],
    start: Partial<Record<Axis, number>>,
    private readonly driver: StageDriver,
    private readonly limits: StageLimits,
    private readonly clock: AlignmentClock,
    /** Resolves to a reason when motion must not happen now (interlock, actuator fault). */
    private readonly blocked: () => string | undefined,
    private readonly logger: Logger,
  ) {
    for (const axis of axes) this.commanded[axis] = start[axis] ?? 0;
  }

  positionUm(axis: Axis): number {
    return this.commanded[axis]!;
  }

  positions(): Partial<Record<Axis, number>> {
    return { ...this.commanded };
  }

  /** The limits of an axis (±∞ when none are configured). */
  range(axis: Axis): { minUm: number; maxUm: number } {
    return this.limits.limitsUm[axis] ?? { minUm: Number.NEGATIVE_INFINITY, maxUm: Number.POSITIVE_INFINITY };
  }

  /** Moves one axis, in steps no longer than maxStepUm, each no faster than maxSlewUmPerS. */
  async moveToUm(axis: Axis, targetUm: number): Promise<void> {
    if (!Number.isFinite(targetUm))
      throw new RangeError(`alignment move of ${axis} to ${targetUm} µm refused`);
    const { minUm, maxUm } = this.range(axis);
    let target = targetUm;
    if (target < minUm || target > maxUm) {
      target = Math.min(maxUm, Math.max(minUm, target));
      this.clampedMoves++;
      // A fit near a limit clamps every few samples: one warning per axis a minute, all counted.
      const now = this.clock.nowS();
      if (now - (this.lastClampWarnS[axis] ?? Number.NEGATIVE_INFINITY) >= 60) {
        this.lastClampWarnS[axis] = now;
        this.logger.warn(
          { axis, targetUm, clampedToUm: target, clampedMoves: this.clampedMoves },
          "alignment move clamped to the soft limit: the peak may lie beyond it",
        );
      }
    }
    let at = this.commanded[axis]!;
    if (target === at) return;
    while (at !== target) {
      const reason = this.blocked();
      if (reason) throw new MotionBlocked(reason);
      const step = Math.max(-this.limits.maxStepUm, Math.min(this.limits.maxStepUm, target - at));
      const next = Math.abs(target - at) <= this.limits.maxStepUm ? target : at + step;
      await this.driver.moveToUm(axis, next);
      this.moves++;
      this.commanded[axis] = next;
      await this.clock.sleep(Math.abs(next - at) / this.limits.maxSlewUmPerS);
      at = next;
    }
    if (this.limits.settleS > 0) await this.clock.sleep(this.limits.settleS);
  }

  /** Arrives at the target from below (overshoot first when coming from above), for repeatable hysteresis. */
  async approachUm(axis: Axis, targetUm: number): Promise<void> {
    if (targetUm < this.commanded[axis]!) await this.moveToUm(axis, targetUm - this.limits.approachUm);
    await this.moveToUm(axis, targetUm);
  }

  /** A move as the mechanics need it: from below when `approachEveryMove`, else direct. */
  async goUm(axis: Axis, targetUm: number): Promise<void> {
    if (this.limits.approachEveryMove) await this.approachUm(axis, targetUm);
    else await this.moveToUm(axis, targetUm);
  }
}
