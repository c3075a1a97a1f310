/**
 * The bench as the page needs to know it before any reading arrives: which devices there are and
 * of what type, the detectors and their saturation, the stage the aligner moves with its soft
 * limits, the interlock rules, and the verbs the page's buttons send.
 */
import type { BenchConfig } from "../../config/schema.js";
import { stageTravelUm } from "../../config/stages.js";
import type { WebConfig } from "../../config/web.js";

/** The verbs the page's buttons send (an operator's); the server refuses any other. */
export const WEB_VERBS = [
  "alarm/ack",
  "incident/ack",
  "interlock/reset",
  "stage/jog",
  "alignment/search",
  "alignment/peak",
  "alignment/track",
  "alignment/stop",
  "recording/start",
  "recording/stop",
] as const;

/** Jog steps the page offers, µm. */
const JOG_STEPS_UM = [0.1, 1, 5];

export interface WebSetup {
  benchId: string;
  backend: string;
  devices: Record<string, string>;
  detectors: string[];
  /** Above this a detector is shown saturated (`safety.detectorMaxCps`). */
  detectorMaxCps: number;
  stage: { name: string; limitsUm: Record<string, { minUm: number; maxUm: number }> } | null;
  jogStepsUm: number[];
  interlocks: string[];
  histograms: string[];
  recording: { enabled: boolean; dir: string };
  historyS: number;
  updateHz: number;
}

export function webSetup(config: BenchConfig, backend: string, settings: WebConfig): WebSetup {
  const devices = Object.fromEntries(Object.entries(config.devices).map(([name, d]) => [name, d.type]));
  const stageName = config.alignment.enabled ? config.alignment.stage : undefined;
  const limitsUm: Record<string, { minUm: number; maxUm: number }> = {};
  if (stageName) {
    const soft = config.safety.actuatorLimitsUm[stageName] ?? {};
    for (const axis of ["x", "y", "z"] as const) {
      const travel = stageTravelUm(config.devices[stageName], axis);
      const limit = soft[axis] ?? (travel !== undefined ? { minUm: 0, maxUm: travel } : undefined);
      if (limit) limitsUm[axis] = { minUm: limit.minUm, maxUm: limit.maxUm };
    }
  }
  return {
    benchId: config.benchId,
    backend,
    devices,
    detectors: Object.entries(config.devices)
      .filter(([, d]) => d.type === "snspd-bias")
      .map(([name]) => name),
    detectorMaxCps: config.safety.detectorMaxCps,
    stage: stageName ? { name: stageName, limitsUm } : null,
    jogStepsUm: JOG_STEPS_UM,
    interlocks: config.interlocks.map((r) => r.name),
    histograms: config.correlation.histograms.map((h) => h.name),
    recording: { enabled: config.recording.enabled, dir: config.recording.dir },
    historyS: settings.historyS,
    updateHz: settings.updateHz,
  };
}
