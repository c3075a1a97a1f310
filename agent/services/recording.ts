/**
 * Raw time-tag recording as a service: the recorder (agent/recording/recorder.ts) fed from the
 * bus's `tags` events of its tagger. A recording directory that cannot be written turns
 * recording off with an error in the log; the rest of the agent runs on. It is stopped after the
 * bench is safe (it starts before the devices), since closing a big file hashes it.
 */
import type { RecordingSlice } from "../../config/slices.js";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import { TagRecorder } from "../recording/recorder.js";
import { recorderSettingsFrom } from "../recording/settings.js";
import type { Service } from "../service.js";

export interface RecordingDeps {
  slice: RecordingSlice;
  bus: EventBus;
  logger: Logger;
  /** The run in progress, written beside each file in the manifest. */
  runId?: () => string | undefined;
}

export class RecordingService implements Service {
  readonly name = "recording";
  readonly stopTimeoutMs = 10_000;
  private recorder: TagRecorder | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: RecordingDeps) {}

  /** Recording now (false when off, or when its directory could not be used). */
  get recording(): boolean {
    return this.recorder !== undefined;
  }

  async start(): Promise<void> {
    const settings = recorderSettingsFrom(this.deps.slice);
    const candidate = new TagRecorder(settings, this.deps.logger, undefined, this.deps.runId);
    try {
      await candidate.start();
    } catch (err) {
      this.deps.logger.error(
        { dir: settings.dir, err: (err as Error).message },
        "cannot record time tags: recording is off",
      );
      return;
    }
    this.recorder = candidate;
    this.unsubscribe = this.deps.bus.on("tags", ({ source, chunk }) => {
      if (source === settings.source) candidate.push(chunk);
    });
    this.deps.logger.info({ dir: settings.dir, source: settings.source }, "recording raw time tags");
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const recorder = this.recorder;
    this.recorder = undefined;
    await recorder?.stop();
  }

  health(): TelemetryValues {
    if (!this.recorder) return {};
    const s = this.recorder.getStats();
    return {
      recordingFile: s.currentFile ?? "",
      recordingFileBytes: s.currentFileBytes,
      recordingFilesClosed: s.filesClosed,
      recordedTags: s.recordedTags,
      recordingDroppedTags: s.droppedTags,
      recordingSkippedTags: s.skippedTags,
      recordingDeletedFiles: s.deletedFiles,
    };
  }
}
