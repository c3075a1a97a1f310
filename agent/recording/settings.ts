/** The recorder's settings from the bench file. */
import { resolveTagger } from "../../config/devices.js";
import type { BenchConfig } from "../../config/schema.js";
import type { RecorderSettings } from "./recorder.js";

/** Undefined when recording is off. */
export function recorderSettingsFrom(config: BenchConfig): RecorderSettings | undefined {
  const { recording } = config;
  if (!recording.enabled) return undefined;
  const resolved = resolveTagger(config.devices, recording.source);
  if ("problem" in resolved) return undefined;
  return {
    dir: recording.dir,
    source: resolved.name,
    ...(resolved.tagger.channels.sync !== undefined ? { syncChannel: resolved.tagger.channels.sync } : {}),
    syncRateHz: 0,
    rotateBytes: recording.rotateMb * 1e6,
    rotateS: recording.rotateS,
    maxTotalBytes: recording.maxTotalGb * 1e9,
    maxAgeS: recording.maxAgeDays * 86_400,
    maxPendingBytes: 64e6,
  };
}
