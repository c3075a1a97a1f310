/**
 * The fibre-coupling aligner (agent/alignment/): which stage moves, which signal it optimises, the
 * search region, the peak fit, the tracking dither, knock recovery, the motion limits on top of the
 * stage's soft limits, and the alarm for coupling that stays low. Distances in stage µm; signal
 * thresholds in the signal's unit (mW for power, cps for counts).
 */
import { z } from "zod";
import { axisNames } from "./devices.js";

const signalSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("power"),
    /** An ads1115 device and one of its named channels (e.g. coupledPowerMw). */
    device: z.string(),
    channel: z.string(),
    /** Photodiode noise: relative, and a floor in the channel's unit (an ADC step). */
    relativeNoise: z.number().min(0).default(1e-3),
    noiseFloor: z.number().min(0).default(1e-5),
  }),
  z.strictObject({
    kind: z.literal("counts"),
    /** A detector with a channel on the correlated tagger. */
    detector: z.string(),
    integrationMs: z.number().positive().max(10_000).default(10),
  }),
]);

export const alignmentSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The stage device (piezo-mcp4728, thorlabs-mdt, thorlabs-kpz101). */
    stage: z.string().default("stage"),
    signal: signalSchema.prefault({ kind: "power", device: "powerMonitor", channel: "coupledPowerMw" }),
    /** Axes the peak fit optimises; z adds focus. Tracking dithers x and y. */
    peakAxes: z.array(z.enum(axisNames)).min(1).default(["x", "y"]),
    /** Starting guess of the 1/e² mode radius in stage µm (2.5 µm at the fibre face, times the imaging scale). */
    modeRadiusUm: z.number().positive().default(2.5),
    search: z
      .strictObject({
        halfWidthUm: z.number().positive().default(45),
        stepUm: z.number().positive().default(2),
        foundAbove: z.number().positive().default(0.005),
      })
      .prefault({}),
    peak: z
      .strictObject({
        maxIterations: z.int().min(1).max(50).default(6),
        toleranceUm: z.number().positive().default(0.1),
      })
      .prefault({}),
    track: z
      .strictObject({
        ditherUm: z.number().positive().default(0.25),
        phases: z.int().min(4).max(64).default(8),
        gain: z.number().gt(0).max(1).default(0.3),
        maxStepUm: z.number().positive().default(0.5),
      })
      .prefault({}),
    reacquire: z
      .strictObject({
        lossFraction: z.number().gt(0).lt(1).default(0.5),
        confirmCycles: z.int().min(1).default(2),
        stepUm: z.number().positive().default(3.5),
        maxRadiusUm: z.number().positive().default(40),
        foundFraction: z.number().gt(0).lt(1).default(0.1),
      })
      .prefault({}),
    motion: z
      .strictObject({
        maxStepUm: z.number().positive().default(5),
        maxSlewUmPerS: z.number().positive().default(2000),
        settleMs: z.number().min(0).default(0.5),
        /** Overshoot before arriving from below; more than a stepper's backlash. */
        approachUm: z.number().min(0).default(1),
        /** Reach every position from below (a stepper with backlash), not only the fitted peak. */
        approachEveryMove: z.boolean().default(false),
      })
      .prefault({}),
    /** While tracking, the reference peak follows the signal with this time constant, s. */
    peakAveragingS: z.number().positive().default(10),
    /** Alarm when coupling stays below this fraction of the peak for this long (or the peak is lost). */
    alarm: z
      .strictObject({
        belowFraction: z.number().gt(0).lt(1).default(0.8),
        forS: z.number().positive().default(30),
      })
      .prefault({}),
    /** State on the alignment topic at most this often, s (and on every change of mode). */
    publishEveryS: z.number().positive().default(1),
  })
  .prefault({});

export type AlignmentConfig = z.infer<typeof alignmentSchema>;
