/**
 * The run (experiment) in progress: `run/start {name, operator, sample, notes}` and `run/stop`.
 * While a run is on, every measurement and alarm carries its `runId`, and every measurement the
 * analysis that produced it (`analysis`: the correlation settings, software version and config
 * hash), so two runs' g2(0) compare knowing they were computed alike. Kept in
 * `<state-dir>/run.json`: a restart goes on with the same run.
 */
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import { BackgroundFile, readStateFile } from "../state-files.js";
import type { RunPayload } from "./types.js";

export interface RunStart {
  name: string;
  operator: string;
  sample?: string | undefined;
  notes?: string | undefined;
}

export class RunTracker {
  private run: RunPayload | undefined;
  private readonly file: BackgroundFile;
  readonly loaded: Promise<void>;

  constructor(
    private readonly path: string,
    private readonly deps: {
      bus: EventBus;
      benchId: string;
      softwareVersion: string;
      configHash: () => string;
      logger: Logger;
    },
  ) {
    this.loaded = this.load();
    this.file = new BackgroundFile(path, "the run", deps.logger, this.loaded);
  }

  get current(): RunPayload | undefined {
    return this.run;
  }

  get runId(): string | undefined {
    return this.run?.runId;
  }

  start(args: RunStart): RunPayload {
    if (this.run) throw new RunConflict(this.run.runId);
    const now = new Date();
    this.run = {
      ts: now.toISOString(),
      state: "running",
      runId: `${this.deps.benchId}-${compactStamp(now.toISOString())}`,
      name: args.name,
      operator: args.operator,
      ...(args.sample !== undefined ? { sample: args.sample } : {}),
      ...(args.notes !== undefined ? { notes: args.notes } : {}),
      startedAt: now.toISOString(),
      softwareVersion: this.deps.softwareVersion,
      configHash: this.deps.configHash(),
    };
    this.publish(this.run);
    return this.run;
  }

  stop(): RunPayload | undefined {
    const run = this.run;
    if (!run) return undefined;
    this.run = undefined;
    const ts = new Date().toISOString();
    const stopped: RunPayload = { ...run, ts, state: "stopped", stoppedAt: ts };
    this.publish(stopped);
    return stopped;
  }

  private publish(run: RunPayload): void {
    this.file.save(`${JSON.stringify(this.run ?? null)}\n`);
    this.deps.bus.emit("run", run);
  }

  /** Publishes the run that goes on after a restart. */
  announce(): void {
    if (this.run) this.deps.bus.emit("run", this.run);
  }

  flushed(): Promise<void> {
    return this.file.flushed();
  }

  private async load(): Promise<void> {
    const saved = await readStateFile(
      this.path,
      (doc) => doc as RunPayload | null,
      this.deps.logger,
      "the run file is unreadable: no run",
    );
    if (saved && typeof saved.runId === "string" && saved.state === "running") this.run = saved;
  }
}

/** `2026-12-02T15:40:51.964Z` → `20261202-154051`: a time for ids and topic names (UTC, to the second). */
export function compactStamp(iso: string): string {
  return iso.slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
}

export class RunConflict extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId} is in progress: send run/stop first`);
  }
}
