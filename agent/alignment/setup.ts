/** From the bench file to a SafeStage and an Aligner, on whatever clock, stage driver and signal the caller has. */
import type { AlignmentConfig } from "../../config/alignment.js";
import type { BenchConfig } from "../../config/schema.js";
import type { AlignmentSlice } from "../../config/slices.js";
import type { Axis } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { Aligner, type AlignerSettings } from "./aligner.js";
import { SafeStage, type StageDriver } from "./safe-stage.js";
import type { AlignmentClock, AlignmentSignal, AlignmentState } from "./types.js";

export interface AlignmentIo {
  driver: StageDriver;
  clock: AlignmentClock;
  signal: AlignmentSignal;
  /** A reason when motion must not happen now (interlock tripped, stage faulted). */
  blocked: () => string | undefined;
  /** Where the stage is commanded now, µm. */
  startUm: Partial<Record<Axis, number>>;
}

/** What the aligner needs from the bench file: its section and the stage's soft limits. */
export type AlignerConfig = Pick<AlignmentSlice, "section" | "limitsUm">;

/** The aligner's part of a whole bench file, enabled or not (for tests and benchmarks). */
export function alignerConfigOf(config: BenchConfig): AlignerConfig {
  return {
    section: config.alignment,
    limitsUm: config.safety.actuatorLimitsUm[config.alignment.stage] ?? {},
  };
}

export function alignerSettingsFrom(a: AlignmentConfig): AlignerSettings {
  return {
    peakAxes: a.peakAxes,
    modeRadiusUm: a.modeRadiusUm,
    search: a.search,
    peak: a.peak,
    track: a.track,
    reacquire: a.reacquire,
    peakAveragingS: a.peakAveragingS,
  };
}

export function buildAligner(
  config: AlignerConfig,
  io: AlignmentIo,
  logger: Logger,
  onState?: (state: AlignmentState) => void,
): { aligner: Aligner; stage: SafeStage } {
  const a = config.section;
  const axes = [...new Set<Axis>(["x", "y", ...a.peakAxes])];
  const stage = new SafeStage(
    axes,
    io.startUm,
    io.driver,
    {
      limitsUm: config.limitsUm,
      maxStepUm: a.motion.maxStepUm,
      maxSlewUmPerS: a.motion.maxSlewUmPerS,
      settleS: a.motion.settleMs / 1000,
      approachUm: a.motion.approachUm,
      approachEveryMove: a.motion.approachEveryMove,
    },
    io.clock,
    io.blocked,
    logger,
  );
  return { aligner: new Aligner(alignerSettingsFrom(a), stage, io.signal, io.clock, logger, onState), stage };
}
