/**
 * The simulated single-photon bench: one physics state advanced in simulated time. Instrument
 * twins (./twins) read and change it through the same bus protocols as the real instruments;
 * nothing here knows about buses. Time only moves when `advanceTo` is called — by the real-time
 * clock in `make run`, or step by step in tests — so the same seed gives the same run.
 */
import { isStage, stageTravelUm } from "../config/devices.js";
import type { BenchConfig } from "../config/schema.js";
import type { SimFaultEvent } from "../config/sim.js";
import { CompressorModel, CryostatModel } from "./cryo.js";
import {
  AXES,
  type AxisModel,
  FibreDrift,
  PiezoAxisModel,
  relativeOverlap,
  StepperAxisModel,
  type Vector3,
} from "./optics.js";
import { type SourceState, type TagBatch, TagGenerator } from "./photons.js";
import { Rng } from "./random.js";
import { SpectralLine } from "./spectral-line.js";

/** Longest physics step, s: the fastest dynamics (pressures, heater) have time constants ≥ 30 s. */
const MAX_STEP_S = 0.05;
/** Width of the SNSPD efficiency-versus-bias plateau edge, µA. */
const BIAS_EDGE_UA = 0.6;

export interface SimDetector {
  name: string;
  channel: number | undefined;
  enabled: boolean;
  biasUa: number;
  latched: boolean;
  /** Stray light (detector-over-bright), counted as its efficiency allows, cps at full efficiency. */
  floodCps: number;
}

export interface SimLaser {
  emission: boolean;
  powerSetMw: number;
  /** The remote interlock input (GPIO): low removes the permit and stops emission. */
  permit: boolean;
  unlocked: boolean;
}

type Listener = () => void;

/** What the simulated bench reads from the bench file: its own section and the device wiring. */
export type SimBenchConfig = Pick<BenchConfig, "sim" | "devices">;

export class SimBench {
  readonly rng: Rng;
  timeS = 0;
  readonly laser: SimLaser;
  readonly detectors = new Map<string, SimDetector>();
  readonly cryostat: CryostatModel;
  readonly compressor: CompressorModel;
  readonly stage: Record<string, AxisModel> = {};
  /** The emitter's spectral line (Fabry–Pérot and wavemeter). */
  readonly spectralLine: SpectralLine;
  readonly drift: FibreDrift;
  doorOpen = false;
  /** Devices whose bus is unplugged, and devices whose next replies are garbled. */
  readonly unplugged = new Set<string>();
  /** `once`: the next reply only; `until-cleared`: every reply until the fault's duration ends. */
  readonly garbled = new Map<string, "once" | "until-cleared">();
  private readonly scheduled: SimFaultEvent[];
  private readonly clearing: Array<{ atS: number; clear: () => void }> = [];
  private readonly changeListeners = new Set<Listener>();
  private readonly tagGenerator: TagGenerator;
  private readonly noise: Rng;

  constructor(readonly config: SimBenchConfig) {
    const sim = config.sim;
    this.rng = new Rng(sim.seed);
    this.noise = this.rng.fork("noise");
    this.spectralLine = new SpectralLine(sim.spectral, this.rng.fork("spectral"));
    this.tagGenerator = new TagGenerator(this.rng.fork("photons"));
    this.laser = {
      emission: sim.initial.laserEmission,
      powerSetMw: sim.initial.laserPowerMw,
      permit: true,
      unlocked: false,
    };
    this.cryostat = new CryostatModel(sim.cryostat, sim.initial.sampleSetpointK);
    this.compressor = new CompressorModel(sim.compressor, this.rng.fork("compressor"));
    this.drift = new FibreDrift(sim.drift, sim.optics.peakPositionUm, this.rng.fork("drift"));
    const tagger = Object.values(config.devices).find((d) => d.type === "serial-tagger");
    for (const [name, device] of Object.entries(config.devices)) {
      if (device.type === "snspd-bias") {
        const channel = tagger?.type === "serial-tagger" ? tagger.channels.detectors[name] : undefined;
        this.detectors.set(name, {
          name,
          channel,
          enabled: true,
          biasUa: sim.initial.detectorBiasUa,
          latched: false,
          floodCps: 0,
        });
      }
      // Any stage's axes (a DAC's, an MDT's or KPZ101 cubes') move the same optics.
      if (isStage(device))
        for (const axis of AXES) {
          const travelUm = stageTravelUm(device, axis);
          if (travelUm !== undefined)
            this.stage[axis] =
              sim.stageMechanics === "stepper"
                ? new StepperAxisModel(
                    sim.initial.stagePositionUm[axis],
                    sim.stepper.stepUm,
                    sim.stepper.backlashUm,
                  )
                : new PiezoAxisModel(
                    sim.initial.stagePositionUm[axis],
                    travelUm,
                    sim.piezo.hysteresisFraction,
                    sim.piezo.creepPerDecade,
                  );
        }
    }
    this.scheduled = [...sim.faults].sort((a, b) => a.atS - b.atS);
  }

  // ─────────────── time ───────────────

  /** Runs the physics up to `tS` (simulated seconds since start), then tells the listeners. */
  advanceTo(tS: number): void {
    while (this.timeS < tS) {
      const dt = Math.min(MAX_STEP_S, tS - this.timeS);
      this.compressor.step(dt);
      this.cryostat.step(dt, this.compressor.running);
      this.drift.step(dt);
      this.timeS += dt;
      this.spectralLine.advanceTo(this.timeS);
      this.applyDueFaults();
      this.updateDetectors();
    }
    for (const listener of this.changeListeners) listener();
  }

  /** Called after every advance, so GPIO twins can fire edges for changed signals. */
  onChange(listener: Listener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  // ─────────────── physics read-outs ───────────────

  stagePositionUm(): Vector3 {
    const at = (axis: "x" | "y" | "z") =>
      this.stage[axis]?.actualUm(this.timeS) ?? this.config.sim.optics.peakPositionUm[axis];
    return { x: at("x"), y: at("y"), z: at("z") };
  }

  /** Fibre-coupling efficiency η at the stage's real position. */
  coupling(): number {
    const o = this.config.sim.optics;
    const stage = this.stagePositionUm();
    const peak = this.drift.peakAt(this.timeS);
    const offset = { x: stage.x - peak.x, y: stage.y - peak.y, z: stage.z - peak.z };
    return o.peakCoupling * relativeOverlap(offset, o.modeRadiusUm, o.rayleighRangeUm);
  }

  laserOutputMw(): number {
    return this.laser.emission && this.laser.permit ? this.laser.powerSetMw : 0;
  }

  /** Mean photons per pulse at the first lens: saturates with excitation power. */
  photonsPerPulse(): number {
    const e = this.config.sim.emitter;
    if (this.laser.unlocked) return 0;
    return e.saturatedPhotonsPerPulse * (1 - Math.exp(-this.laserOutputMw() / e.saturationPowerMw));
  }

  /** What an ADC input wired to a bench signal sees, in the signal's own unit (mW). */
  signal(kind: "coupled-power" | "laser-power"): number {
    const o = this.config.sim.optics;
    const power = this.laserOutputMw();
    const value =
      kind === "laser-power" ? power : (power * o.monitorTapFraction * this.coupling()) / o.peakCoupling;
    return value * (1 + 5e-4 * this.noise.normal());
  }

  detectorCounting(d: SimDetector): boolean {
    return (
      d.enabled &&
      d.biasUa > 0 &&
      !d.latched &&
      this.cryostat.stageK <= this.config.sim.detectors.criticalTempK
    );
  }

  detectorEfficiency(d: SimDetector): number {
    if (!this.detectorCounting(d)) return 0;
    const c = this.config.sim.detectors;
    return c.efficiency / (1 + Math.exp(-(d.biasUa - c.halfEfficiencyBiasUa) / BIAS_EDGE_UA));
  }

  /** Bias-tee monitor voltage, mV: a latched (normal) wire drops bias × R across it. */
  monitorMv(d: SimDetector): number {
    const latchedMv = d.latched ? d.biasUa * this.config.sim.detectors.latchedMonitorMvPerUa : 0;
    return latchedMv + 0.02 * this.noise.normal();
  }

  sourceState(syncChannel: number | undefined, syncDivider = 1): SourceState {
    const sim = this.config.sim;
    const detectors = [...this.detectors.values()]
      .filter((d) => d.channel !== undefined)
      .map((d) => {
        const efficiency = this.detectorEfficiency(d);
        return {
          channel: d.channel!,
          efficiency,
          darkCps:
            efficiency > 0
              ? ((sim.detectors.darkCps + d.floodCps) * efficiency) / sim.detectors.efficiency
              : 0,
          delayPs: sim.detectors.delayPs[d.name] ?? 0,
        };
      });
    return {
      pulsing: this.laserOutputMw() > 0 && !this.laser.unlocked,
      periodPs: Math.round(1e6 / sim.emitter.repetitionRateMhz),
      photonsPerPulse: this.photonsPerPulse(),
      g2Zero: sim.emitter.g2Zero,
      transmission: this.coupling() * sim.optics.setupTransmission,
      lifetimePs: sim.emitter.lifetimeNs * 1000,
      jitterFwhmPs: sim.detectors.jitterFwhmPs,
      deadTimePs: sim.detectors.deadTimeNs * 1000,
      detectors,
      syncChannel,
      syncDivider,
    };
  }

  /** Time tags for [t0S, t1S) of simulated time, with the bench as it is now. */
  tags(t0S: number, t1S: number, syncChannel: number | undefined, syncDivider = 1): TagBatch {
    return this.tagGenerator.generate(
      Math.round(t0S * 1e12),
      Math.round(t1S * 1e12),
      this.sourceState(syncChannel, syncDivider),
    );
  }

  // ─────────────── interlock signals ───────────────

  /** The cryostat's OK relay: compressor running and the detector stage below critical. */
  cryostatOk(): boolean {
    return this.compressor.running && this.cryostat.stageK <= this.config.sim.detectors.criticalTempK;
  }

  // ─────────────── faults ───────────────

  inject(fault: Omit<SimFaultEvent, "atS">): void {
    const until = (clear: () => void) => {
      if (fault.durationS !== undefined) this.clearing.push({ atS: this.timeS + fault.durationS, clear });
    };
    switch (fault.fault) {
      case "compressor-trip":
        // With a duration, the cause (warm cooling water) lasts that long: a reset fails meanwhile.
        this.compressor.trip(fault.durationS !== undefined);
        until(() => {
          this.compressor.causeHeld = false;
        });
        break;
      case "laser-unlock":
        this.laser.unlocked = true;
        until(() => {
          this.laser.unlocked = false;
        });
        break;
      case "line-broadening": {
        const before = this.spectralLine.linewidthMHz;
        this.spectralLine.linewidthMHz = fault.linewidthMHz ?? 3000;
        until(() => {
          this.spectralLine.linewidthMHz = before;
        });
        break;
      }
      case "fibre-knock":
        this.drift.knock(fault.knockUm ?? 20);
        break;
      case "door-open":
        this.doorOpen = true;
        until(() => {
          this.doorOpen = false;
        });
        break;
      case "detector-latch": {
        const d = fault.device ? this.detectors.get(fault.device) : undefined;
        if (d && d.biasUa > 0) d.latched = true;
        break;
      }
      case "detector-over-bright": {
        const d = fault.device ? this.detectors.get(fault.device) : undefined;
        if (!d) break;
        d.floodCps = fault.floodCps ?? 20e6;
        until(() => {
          d.floodCps = 0;
        });
        break;
      }
      case "garbled-reply": {
        const device = fault.device;
        if (!device) break;
        this.garbled.set(device, fault.durationS === undefined ? "once" : "until-cleared");
        until(() => this.garbled.delete(device));
        break;
      }
      case "device-unplugged": {
        const device = fault.device;
        if (!device) break;
        this.unplugged.add(device);
        until(() => this.unplugged.delete(device));
        break;
      }
    }
    for (const listener of this.changeListeners) listener();
  }

  private applyDueFaults(): void {
    while (this.scheduled.length > 0 && this.scheduled[0]!.atS <= this.timeS)
      this.inject(this.scheduled.shift()!);
    for (let i = this.clearing.length - 1; i >= 0; i--) {
      if (this.clearing[i]!.atS <= this.timeS) {
        this.clearing[i]!.clear();
        this.clearing.splice(i, 1);
      }
    }
  }

  private updateDetectors(): void {
    const c = this.config.sim.detectors;
    for (const d of this.detectors.values()) {
      if (d.biasUa <= 0) d.latched = false;
      else if (d.biasUa >= c.switchingCurrentUa || this.cryostat.stageK > c.criticalTempK) d.latched = true;
    }
  }
}
