/** The recorder's settings from the bench file's recording slice. */
import type { RecordingSlice } from "../../config/slices.js";
import type { RecorderSettings } from "./recorder.js";

export function recorderSettingsFrom({ tagger, section }: RecordingSlice): RecorderSettings {
  return {
    dir: section.dir,
    source: tagger.name,
    ...(tagger.syncChannel !== undefined ? { syncChannel: tagger.syncChannel } : {}),
    syncRateHz: 0,
    rotateBytes: section.rotateMb * 1e6,
    rotateS: section.rotateS,
    maxTotalBytes: section.maxTotalGb * 1e9,
    maxAgeS: section.maxAgeDays * 86_400,
    maxPendingBytes: 64e6,
  };
}
