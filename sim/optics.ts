/**
 * Fibre coupling on the simulated bench: where the piezo stage really is (open-loop hysteresis and
 * creep), where the coupling peak has drifted to (thermal cycle, random walk, knocks), and the
 * overlap of the two Gaussian modes:
 *   η = η₀ · exp(−(dx² + dy²)/w²) / (1 + (dz/z_R)²)
 * (w the 1/e² intensity mode radius, z_R the Rayleigh range; ../shared/BENCH-PHYSICS.md).
 */
import type { SimConfig } from "../config/sim.js";
import type { Axis } from "../hal/interfaces.js";
import type { Rng } from "./random.js";

export type Vector3 = Record<Axis, number>;
export const AXES: readonly Axis[] = ["x", "y", "z"];

/** Piezo creep counts decades of time from this long after a step, s. */
const CREEP_T0_S = 0.1;

/** Overlap of two Gaussian modes offset by (dx, dy) and defocused by dz, relative to the peak. */
export function relativeOverlap(offsetUm: Vector3, modeRadiusUm: number, rayleighRangeUm: number): number {
  const lateral = (offsetUm.x ** 2 + offsetUm.y ** 2) / modeRadiusUm ** 2;
  return Math.exp(-lateral) / (1 + (offsetUm.z / rayleighRangeUm) ** 2);
}

/** A simulated stage axis: commanded in µm, with where it really is. */
export interface AxisModel {
  readonly commandedUm: number;
  command(positionUm: number, nowS: number): void;
  actualUm(nowS: number): number;
}

interface PiezoAxisState {
  commandedUm: number;
  /** Hysteresis lag: the stage sits this far behind its command, µm. */
  lagUm: number;
  lastStepUm: number;
  lastStepAtS: number;
}

/**
 * One open-loop piezo axis. Hysteresis as a lag that saturates at ±h·travel/2 as the stage keeps
 * moving one way and relaxes over a quarter of the travel (a rate-independent loop whose full
 * width is h·travel); creep continues a step by `creepPerDecade` of it per decade of time.
 */
export class PiezoAxisModel implements AxisModel {
  private state: PiezoAxisState;

  constructor(
    initialUm: number,
    private readonly travelUm: number,
    private readonly hysteresisFraction: number,
    private readonly creepPerDecade: number,
  ) {
    this.state = { commandedUm: initialUm, lagUm: 0, lastStepUm: 0, lastStepAtS: 0 };
  }

  get commandedUm(): number {
    return this.state.commandedUm;
  }

  command(positionUm: number, nowS: number): void {
    const step = positionUm - this.state.commandedUm;
    if (step === 0) return;
    const maxLag = (this.hysteresisFraction * this.travelUm) / 2;
    const target = Math.sign(step) * maxLag;
    const relax = Math.exp(-Math.abs(step) / (this.travelUm / 4));
    this.state = {
      commandedUm: positionUm,
      lagUm: target + (this.state.lagUm - target) * relax,
      lastStepUm: step,
      lastStepAtS: nowS,
    };
  }

  actualUm(nowS: number): number {
    const s = this.state;
    const since = Math.max(0, nowS - s.lastStepAtS);
    const creep = s.lastStepUm * this.creepPerDecade * Math.log10(1 + since / CREEP_T0_S);
    return s.commandedUm - s.lagUm + creep;
  }
}

/**
 * One stepper axis: whole steps of `stepUm`, and backlash — after a reversal the first `backlashUm`
 * of commanded motion only takes up the play in the screw. The carriage stays inside the play band
 * [command − backlash, command] and moves only when the band pushes it.
 */
export class StepperAxisModel implements AxisModel {
  private commanded: number;
  private position: number;

  constructor(
    initialUm: number,
    private readonly stepUm: number,
    private readonly backlashUm: number,
  ) {
    this.commanded = initialUm;
    this.position = initialUm;
  }

  get commandedUm(): number {
    return this.commanded;
  }

  command(positionUm: number): void {
    this.commanded = Math.round(positionUm / this.stepUm) * this.stepUm;
    this.position = Math.min(Math.max(this.position, this.commanded - this.backlashUm), this.commanded);
  }

  actualUm(): number {
    return this.position;
  }
}

/** The coupling peak's position in stage coordinates, moving with the lab. */
export class FibreDrift {
  private walkUm: Vector3 = { x: 0, y: 0, z: 0 };
  private knockUm: Vector3 = { x: 0, y: 0, z: 0 };
  private readonly phase: number;

  constructor(
    private readonly config: SimConfig["drift"],
    private readonly peakUm: Vector3,
    private readonly rng: Rng,
  ) {
    this.phase = 2 * Math.PI * rng.uniform();
  }

  step(dtS: number): void {
    const sigma = this.config.randomWalkUmPerSqrtS * Math.sqrt(dtS);
    if (sigma === 0) return;
    for (const axis of AXES) this.walkUm[axis] += sigma * this.rng.normal();
  }

  knock(distanceUm: number): void {
    const angle = 2 * Math.PI * this.rng.uniform();
    this.knockUm.x += distanceUm * Math.cos(angle);
    this.knockUm.y += distanceUm * Math.sin(angle);
  }

  peakAt(nowS: number): Vector3 {
    const { thermalAmplitudeUm: a, thermalPeriodS: p } = this.config;
    const w = (2 * Math.PI * nowS) / p;
    return {
      x: this.peakUm.x + a * Math.sin(w + this.phase) + this.walkUm.x + this.knockUm.x,
      y: this.peakUm.y + a * Math.sin(w + this.phase + Math.PI / 3) + this.walkUm.y + this.knockUm.y,
      z: this.peakUm.z + 0.2 * a * Math.sin(w + this.phase) + this.walkUm.z,
    };
  }
}
