/**
 * Closed-cycle cryostat and its helium compressor, first-order dynamics
 * (../shared/BENCH-PHYSICS.md): the stage relaxes to base temperature with the compressor
 * running and towards ambient after a trip; the sample sits on the stage and a heater loop
 * holds it at its set-point when that is above the stage.
 */
import type { SimConfig } from "../config/sim.js";
import type { HeaterRange } from "../hal/interfaces.js";
import type { Rng } from "./random.js";

/** Heater output per kelvin of set-point above the stage, % (a proportional loop's steady state). */
const HEATER_PERCENT_PER_K = 20;
/** Compressor pressures settle with this time constant after a start or stop, s. */
const PRESSURE_TIME_CONSTANT_S = 30;

const relax = (value: number, target: number, dtS: number, tauS: number) =>
  target + (value - target) * Math.exp(-dtS / tauS);

export class CryostatModel {
  stageK: number;
  sampleK: number;
  setpointK: number;
  heaterRange: HeaterRange = "medium";

  constructor(
    private readonly config: SimConfig["cryostat"],
    setpointK: number,
  ) {
    this.stageK = config.baseTempK;
    this.setpointK = setpointK;
    this.sampleK = Math.max(setpointK, this.stageK);
  }

  get heaterPercent(): number {
    if (this.heaterRange === "off") return 0;
    return Math.min(100, Math.max(0, (this.setpointK - this.stageK) * HEATER_PERCENT_PER_K));
  }

  step(dtS: number, compressorRunning: boolean): void {
    const c = this.config;
    this.stageK = compressorRunning
      ? relax(this.stageK, c.baseTempK, dtS, c.coolTimeConstantS)
      : relax(this.stageK, c.ambientK, dtS, c.warmTimeConstantS);
    const heated =
      this.heaterRange !== "off" && this.heaterPercent < 100
        ? Math.max(this.setpointK, this.stageK)
        : this.stageK;
    this.sampleK = relax(this.sampleK, heated, dtS, c.heaterTimeConstantS);
  }
}

/** F-70 alarm bit set by an injected trip (status word bit 4, water temperature). */
export const TRIP_ALARM_BIT = 4;

export class CompressorModel {
  running = true;
  /** Status-word alarm bits now latched (cleared by a reset). */
  alarmBits = 0;
  supplyPsig: number;
  returnPsig: number;
  operatingHours = 12_345;

  constructor(
    private readonly config: SimConfig["compressor"],
    private readonly rng: Rng,
  ) {
    this.supplyPsig = config.supplyPsig;
    this.returnPsig = config.returnPsig;
  }

  /** True while the trip's cause lasts (cooling water still too warm): a reset does not clear it. */
  causeHeld = false;

  trip(held = false): void {
    this.running = false;
    this.alarmBits |= 1 << TRIP_ALARM_BIT;
    this.causeHeld = held;
  }

  /** `$RS1`: clears the latched alarms, unless the trip's cause is still there. */
  resetAlarms(): void {
    if (!this.causeHeld) this.alarmBits = 0;
  }

  /** `$ON1` starts only with no alarm latched, as the real compressor does. */
  start(): void {
    if (this.alarmBits === 0) this.running = true;
  }

  step(dtS: number): void {
    const c = this.config;
    this.supplyPsig = relax(
      this.supplyPsig,
      this.running ? c.supplyPsig : c.staticPsig,
      dtS,
      PRESSURE_TIME_CONSTANT_S,
    );
    this.returnPsig = relax(
      this.returnPsig,
      this.running ? c.returnPsig : c.staticPsig,
      dtS,
      PRESSURE_TIME_CONSTANT_S,
    );
    if (this.running) this.operatingHours += dtS / 3600;
  }

  /** Gauge readings with the transducers' ±0.5 psi noise. */
  readPressures(): { supplyPsig: number; returnPsig: number } {
    return {
      supplyPsig: Math.round(this.supplyPsig + 0.5 * this.rng.normal()),
      returnPsig: Math.round(this.returnPsig + 0.5 * this.rng.normal()),
    };
  }
}
