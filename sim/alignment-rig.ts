/**
 * The simulated bench as the aligner sees it, at full speed: a clock that advances simulated time
 * (a simulated hour runs in seconds), the piezo stage's models (hysteresis, creep) commanded
 * directly, and the coupling signal — the photodiode (relative noise 5·10⁻⁴) or a detector's count
 * rate (Poisson, dark counts, non-paralysable dead time) scaled so the peak gives `peakCps`.
 * `trueFraction()` is the coupling over its peak at the stage's real position — the score.
 */
import { loadConfig } from "../config/load.js";
import type { BenchConfig } from "../config/schema.js";
import type { Axis } from "../hal/interfaces.js";
import { SimBench } from "./bench.js";
import type { Rng } from "./random.js";

const ADC_NOISE_MW = 1.25e-5;

export interface RigOptions {
  signal: "power" | "counts";
  /** Count rate at the peak, cps (counts signal). */
  peakCps: number;
  /** One reading's integration time, s. */
  integrationS: number;
}

export class AlignmentRig {
  readonly bench: SimBench;
  private readonly noise: Rng;
  /** True coupling fraction at every sample, for the scenario's mean. */
  fractions: number[] = [];
  /** While set, the stage refuses motion (an interlock), with this reason. */
  blockedBy: string | undefined;

  constructor(
    config: BenchConfig,
    readonly options: RigOptions,
  ) {
    this.bench = new SimBench(config);
    this.noise = this.bench.rng.fork("alignment-signal");
    this.signal.unit = options.signal === "power" ? "mW" : "cps";
  }

  readonly clock = {
    nowS: () => this.bench.timeS,
    sleep: async (seconds: number) => {
      if (seconds > 0) this.bench.advanceTo(this.bench.timeS + seconds);
    },
  };

  readonly driver = {
    moveToUm: async (axis: Axis, positionUm: number) => {
      const model = this.bench.stage[axis];
      if (!model) throw new RangeError(`the simulated stage has no ${axis} axis`);
      model.command(positionUm, this.bench.timeS);
    },
  };

  readonly signal = {
    unit: "mW" as "mW" | "cps",
    sample: async () => {
      const { integrationS } = this.options;
      await this.clock.sleep(integrationS);
      this.fractions.push(this.trueFraction());
      if (this.options.signal === "power") {
        // The photodiode's relative noise (in bench.signal) and the ADC's: one ADS1115 step at
        // ±4.096 V (125 µV) is 1.25·10⁻⁵ mW at the example's 0.1 mW/V.
        const value = this.bench.signal("coupled-power") + ADC_NOISE_MW * this.noise.normal();
        return { value, sigma: Math.hypot(5e-4 * value, ADC_NOISE_MW) };
      }
      const d = this.bench.config.sim.detectors;
      const trueCps = this.options.peakCps * this.trueFraction() + d.darkCps;
      const seenCps = trueCps / (1 + trueCps * d.deadTimeNs * 1e-9);
      const counts = this.noise.poisson(seenCps * integrationS);
      return { value: counts / integrationS, sigma: Math.sqrt(Math.max(counts, 1)) / integrationS };
    },
  };

  trueFraction(): number {
    return this.bench.coupling() / this.bench.config.sim.optics.peakCoupling;
  }

  /** The signal at the peak (what `foundAbove` thresholds are set against). */
  peakSignal(): number {
    if (this.options.signal === "counts") return this.options.peakCps;
    const o = this.bench.config.sim.optics;
    return this.bench.laserOutputMw() * o.monitorTapFraction;
  }

  /** Where the coupling peak is now, in stage coordinates. */
  peakUm() {
    return this.bench.drift.peakAt(this.bench.timeS);
  }

  /** What the aligner runs on (agent/alignment/setup.ts AlignmentIo), the stage commanded at `startUm`. */
  io(startUm: Partial<Record<Axis, number>>) {
    this.placeStage(startUm);
    return {
      driver: this.driver,
      clock: this.clock,
      signal: this.signal,
      blocked: () => this.blockedBy,
      startUm,
    };
  }

  /** Puts every stage axis at `positionUm` (commanded), as if it had been left there. */
  placeStage(positionUm: Partial<Record<Axis, number>>): void {
    for (const [axis, um] of Object.entries(positionUm) as Array<[Axis, number]>)
      this.bench.stage[axis]?.command(um, this.bench.timeS);
  }
}

/** The thermal cycle's period in the alignment scenarios, s. */
const THERMAL_PERIOD_S = 1200;

export interface AlignmentScenario {
  seed: number;
  signal: "power" | "counts";
  /** Counts at the peak (counts signal). */
  peakCps: number;
  mechanics: "piezo" | "stepper";
  /** A thermal cycle whose speed peaks at this, plus a 0.002 µm/√s random walk; none when absent. */
  driftUmPerS?: number;
  /** More bench-file overrides (start position, peak position, peak axes). */
  overrides?: Record<string, unknown>;
}

/**
 * The bench file the alignment benchmark and tests share (the example bench, the search over the
 * whole travel, the mechanics' motion settings, the counts' tracking gain) and a rig on it, with
 * light found at a tenth of the peak signal.
 */
export function alignmentScenario(s: AlignmentScenario): { config: BenchConfig; rig: AlignmentRig } {
  const counts = s.signal === "counts";
  const drift = s.driftUmPerS;
  const config = loadConfig({
    file: "config/examples/sim-bench.yaml",
    overrides: {
      "sim.seed": s.seed,
      "sim.stageMechanics": s.mechanics,
      ...(s.mechanics === "stepper"
        ? { "alignment.motion": { approachUm: 4, approachEveryMove: true } }
        : {}),
      "sim.drift": {
        thermalAmplitudeUm: drift !== undefined ? (drift * THERMAL_PERIOD_S) / (2 * Math.PI) : 0,
        thermalPeriodS: THERMAL_PERIOD_S,
        randomWalkUmPerSqrtS: drift !== undefined ? 0.002 : 0,
      },
      "alignment.search.halfWidthUm": 100,
      ...(counts ? { "alignment.track.gain": 0.1 } : {}),
      ...s.overrides,
    },
  }).config;
  const rig = new AlignmentRig(config, {
    signal: s.signal,
    peakCps: s.peakCps,
    integrationS: counts ? 0.004 : 0.002,
  });
  config.alignment.search.foundAbove = 0.1 * rig.peakSignal();
  return { config, rig };
}
