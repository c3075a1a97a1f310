/**
 * What every stage driver enforces before a move, in one place: the axis exists, the stage is not
 * holding, and the position lies within the soft limits inside the axis' travel. A refused move
 * is a RangeError naming the stage, and nothing moves.
 */
import type { Axis } from "../interfaces.js";

export interface SoftLimitsUm {
  minUm?: number;
  maxUm?: number;
}

/** The settings of `axis`; a RangeError naming the axes the stage has. */
export function stageAxis<A>(stage: string, settings: Partial<Record<Axis, A>>, axis: Axis): A {
  const a = settings[axis];
  if (!a) throw new RangeError(`${stage}: no ${axis} axis (has ${Object.keys(settings).sort().join(", ")})`);
  return a;
}

/** The soft limits within 0 … the axis' travel. */
export function limitsWithinTravel(travelUm: number, soft: SoftLimitsUm): { minUm: number; maxUm: number } {
  return { minUm: Math.max(0, soft.minUm ?? 0), maxUm: Math.min(travelUm, soft.maxUm ?? travelUm) };
}

/** Refuses a move while the stage holds, or to a position outside `limits`. */
export function checkMove(
  stage: string,
  held: boolean,
  axis: Axis,
  positionUm: number,
  limits: { minUm: number; maxUm: number },
): void {
  if (held) throw new RangeError(`${stage}: holding; moves are refused`);
  if (!Number.isFinite(positionUm) || positionUm < limits.minUm || positionUm > limits.maxUm)
    throw new RangeError(
      `${stage}: ${axis} = ${positionUm} µm outside the soft limits ${limits.minUm}…${limits.maxUm} µm`,
    );
}
