/** From the bench file to a SafeStage and an Aligner, on whatever clock, stage driver and signal the caller has. */
import type { BenchConfig } from "../../config/schema.js";
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

export function alignerSettingsFrom(a: BenchConfig["alignment"]): AlignerSettings {
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
  config: BenchConfig,
  io: AlignmentIo,
  logger: Logger,
  onState?: (state: AlignmentState) => void,
): { aligner: Aligner; stage: SafeStage } {
  const a = config.alignment;
  const axes = [...new Set<Axis>(["x", "y", ...a.peakAxes])];
  const stage = new SafeStage(
    axes,
    io.startUm,
    io.driver,
    {
      limitsUm: config.safety.actuatorLimitsUm[a.stage] ?? {},
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
