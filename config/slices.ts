/**
 * The bench file resolved once, at parse time, into what each service needs: the tagger a
 * section names (looked up once, not by every service), the aligner's stage and signal, the
 * recorder's and the correlator's channels. A service gets its slice, never the whole file.
 * The cross-reference checks live here because resolving is checking: the same lookup that
 * fills a slice reports the path of whatever does not resolve.
 */
import type { z } from "zod";
import type { AlignmentConfig } from "./alignment.js";
import type { CorrelationConfig, RecordingConfig } from "./correlation.js";
import { type AxisName, type DeviceConfig, isStage, resolveTagger, stageTypes } from "./devices.js";

/** A tagger's channels by role. */
export interface TaggerSlice {
  /** The serial-tagger device. */
  name: string;
  syncChannel: number | undefined;
  syncDivider: number;
  /** Detector device name → tagger channel. */
  detectors: Record<string, number>;
}

export interface CorrelationSlice {
  tagger: TaggerSlice;
  section: CorrelationConfig;
}

export interface RecordingSlice {
  tagger: TaggerSlice;
  section: RecordingConfig;
}

export type AlignmentSignalSlice =
  | {
      kind: "power";
      device: string;
      input: number;
      perVolt: number;
      relativeNoise: number;
      noiseFloor: number;
    }
  | { kind: "counts"; tagger: string; channel: number; integrationMs: number };

export interface AlignmentSlice {
  section: AlignmentConfig;
  signal: AlignmentSignalSlice;
  /** The stage's soft limits from `safety.actuatorLimitsUm`. */
  limitsUm: Partial<Record<AxisName, { minUm: number; maxUm: number }>>;
}

/** Undefined where the section is off (or, for correlation, where the bench has no tagger). */
export interface BenchSlices {
  correlation: CorrelationSlice | undefined;
  recording: RecordingSlice | undefined;
  alignment: AlignmentSlice | undefined;
}

interface ResolvableBench {
  devices: Record<string, DeviceConfig>;
  correlation: CorrelationConfig;
  recording: RecordingConfig;
  alignment: AlignmentConfig;
  safety: { actuatorLimitsUm: Record<string, AlignmentSlice["limitsUm"]> };
}

/** Fills the slices; every reference that does not resolve is an issue at its path. */
export function resolveSlices(config: ResolvableBench, ctx: z.RefinementCtx): BenchSlices {
  const problem = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  const { correlation, recording, alignment, devices } = config;

  const correlationTagger = taggerSlice(devices, correlation.source);
  let correlationSlice: CorrelationSlice | undefined;
  if ("problem" in correlationTagger) {
    if (correlation.histograms.length > 0) problem(["correlation", "source"], correlationTagger.problem);
  } else {
    correlationSlice = { tagger: correlationTagger, section: correlation };
    const detectors = correlationTagger.detectors;
    correlation.histograms.forEach((h, i) => {
      for (const side of ["a", "b"] as const)
        if (!(h[side] in detectors))
          problem(
            ["correlation", "histograms", i, side],
            `"${h[side]}" has no channel on ${correlationTagger.name} (it has ${Object.keys(detectors).join(", ")})`,
          );
    });
  }

  let recordingSlice: RecordingSlice | undefined;
  if (recording.enabled) {
    const tagger =
      recording.source === correlation.source ? correlationTagger : taggerSlice(devices, recording.source);
    if ("problem" in tagger) problem(["recording", "source"], tagger.problem);
    else recordingSlice = { tagger, section: recording };
  }

  let alignmentSlice: AlignmentSlice | undefined;
  if (alignment.enabled) {
    const at = (path: string[], message: string) => problem(["alignment", ...path], message);
    const stage = devices[alignment.stage];
    if (!isStage(stage)) at(["stage"], `"${alignment.stage}" is not a stage (${stageTypes.join(", ")})`);
    else
      for (const axis of new Set([...alignment.peakAxes, "x", "y"] as const))
        if (!stage.axes[axis]) at(["peakAxes"], `the stage "${alignment.stage}" has no ${axis} axis`);
    const s = alignment.signal;
    let signal: AlignmentSignalSlice | undefined;
    if (s.kind === "power") {
      const monitor = devices[s.device];
      const channel =
        monitor?.type === "ads1115" ? monitor.channels.find((c) => c.name === s.channel) : undefined;
      if (monitor?.type !== "ads1115") at(["signal", "device"], `"${s.device}" is not an ads1115 device`);
      else if (!channel) at(["signal", "channel"], `"${s.device}" has no channel "${s.channel}"`);
      else
        signal = {
          kind: "power",
          device: s.device,
          input: channel.input,
          perVolt: channel.perVolt,
          relativeNoise: s.relativeNoise,
          noiseFloor: s.noiseFloor,
        };
    } else if ("problem" in correlationTagger)
      at(["signal", "detector"], `counts need a tagger: ${correlationTagger.problem}`);
    else if (!(s.detector in correlationTagger.detectors))
      at(["signal", "detector"], `"${s.detector}" has no channel on ${correlationTagger.name}`);
    else
      signal = {
        kind: "counts",
        tagger: correlationTagger.name,
        channel: correlationTagger.detectors[s.detector]!,
        integrationMs: s.integrationMs,
      };
    if (signal)
      alignmentSlice = {
        section: alignment,
        signal,
        limitsUm: config.safety.actuatorLimitsUm[alignment.stage] ?? {},
      };
  }
  return { correlation: correlationSlice, recording: recordingSlice, alignment: alignmentSlice };
}

function taggerSlice(
  devices: Record<string, DeviceConfig>,
  named: string | undefined,
): TaggerSlice | { problem: string } {
  const resolved = resolveTagger(devices, named);
  if ("problem" in resolved) return resolved;
  const { channels } = resolved.tagger;
  return {
    name: resolved.name,
    syncChannel: channels.sync,
    syncDivider: channels.syncDivider,
    detectors: channels.detectors,
  };
}
