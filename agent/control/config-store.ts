/**
 * Remote configuration: `config/get|validate|set|history|rollback` over the versions on disk
 * (./config-state.ts). A push (a whole document or a merge patch over the running one) is
 * checked by the same schema as the file and against the local safety limits, then applied
 * atomically: every service prepares its part (Service.prepare), the version is persisted, and
 * all commit — or, if any refuses or the disk fails, all abort and nothing has changed. Paths no
 * service takes live are persisted and answered as `restartRequired`.
 */
import type { z } from "zod";
import { formatIssues } from "../../config/load.js";
import { changedPaths, diffPatch, documentHash, mergePatch } from "../../config/merge.js";
import { type BenchConfig, benchConfigSchema } from "../../config/schema.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import type { PreparedChange, Service } from "../service.js";
import { ConfigState, type VersionEntry } from "./config-state.js";
import type { ConfigChange, ConfigControl } from "./context.js";
import { loosenings, type SafetyLimits } from "./limits.js";
import { ControlError, redact } from "./protocol.js";

export interface ConfigProblem {
  path: string;
  message: string;
}

export interface StartingConfig {
  /** The local file's document (YAML + environment + flags): what versions are overlays on. */
  base: Record<string, unknown>;
  /** The document in force: the newest good version over the base, or the base. */
  document: Record<string, unknown>;
  config: BenchConfig;
  version: number;
  history: VersionEntry[];
  /** Versions that could not be read back (the agent raises `config-state` for them). */
  problems: string[];
}

/** Parses a document: the config, or every problem with its path. */
export function checkDocument(document: unknown): { config: BenchConfig } | { problems: ConfigProblem[] } {
  const parsed = benchConfigSchema.safeParse(document, { reportInput: true });
  if (parsed.success) return { config: parsed.data };
  return {
    problems: parsed.error.issues.map((issue: z.core.$ZodIssue) => {
      const line = formatIssues([issue])[0]!;
      const path = issue.path.join(".");
      return { path, message: line.slice(line.indexOf(": ") + 2) };
    }),
  };
}

/** The configuration to start with: the newest version on disk that reads back and parses, over `base`. */
export async function loadStartingConfig(
  stateDir: string,
  base: Record<string, unknown>,
  baseConfig: BenchConfig,
  limits: SafetyLimits,
): Promise<StartingConfig> {
  const state = new ConfigState(stateDir);
  const history = await state.history();
  const problems: string[] = [];
  for (const entry of [...history].reverse()) {
    const read = await state.read(entry.version, base);
    if ("problem" in read) {
      problems.push(read.problem);
      continue;
    }
    const checked = checkDocument(read.document);
    if ("problems" in checked) {
      problems.push(
        `v${entry.version}.json: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
      );
      continue;
    }
    // The local limits may have been tightened since this version was pushed: it must not loosen them.
    const loose = loosenings(checked.config, limits);
    if (loose.length > 0) {
      problems.push(
        `v${entry.version}.json loosens the local limits: ${loose.map((l) => `${l.path}: ${l.message}`).join("; ")}`,
      );
      continue;
    }
    return {
      base,
      document: read.document,
      config: checked.config,
      version: entry.version,
      history,
      problems,
    };
  }
  return { base, document: base, config: baseConfig, version: 0, history, problems };
}

/** The config without what the schema derived (the slices), for diffs and the `config` topic. */
const plain = (config: BenchConfig) => {
  const { slices: _slices, ...rest } = config;
  return rest;
};

export class ConfigStore implements ConfigControl, Service {
  readonly name = "config";
  private readonly state: ConfigState;
  private document: Record<string, unknown>;
  private config: BenchConfig;
  private version: number;
  private versions: VersionEntry[];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      stateDir: string;
      starting: StartingConfig;
      limits: SafetyLimits;
      /** The services that may take a change live, in start order. */
      services: () => readonly Service[];
      bus: EventBus;
      logger: Logger;
    },
  ) {
    this.state = new ConfigState(deps.stateDir);
    this.document = deps.starting.document;
    this.config = deps.starting.config;
    this.version = deps.starting.version;
    this.versions = deps.starting.history;
  }

  /** The configuration in force now. */
  get current(): BenchConfig {
    return this.config;
  }

  get(): { version: number; hash: string; config: unknown } {
    return { version: this.version, hash: documentHash(this.document), config: redact(plain(this.config)) };
  }

  /** Publishes the retained `config`; a stored version that did not read back raises `config-state`. */
  async start(): Promise<void> {
    this.announce();
    const { problems, version } = this.deps.starting;
    if (problems.length === 0) return;
    const message = `stored configuration unreadable, running version ${version}: ${problems.join("; ")}`;
    this.deps.logger.error({ problems, version }, message);
    const ts = new Date().toISOString();
    this.deps.bus.emit("alarm", {
      ts,
      name: "config-state",
      active: true,
      severity: "warning",
      message,
      since: ts,
    });
  }

  async stop(): Promise<void> {
    await this.queue;
  }

  /** Publishes the retained `config` message (at start and after each change). */
  announce(): void {
    this.deps.bus.emit("config", { ts: new Date().toISOString(), ...this.get() });
  }

  validate(change: ConfigChange) {
    const next = this.nextDocument(change);
    const checked = checkDocument(next);
    if ("problems" in checked)
      return { valid: false, problems: checked.problems, changed: [], restartRequired: [] };
    const loose = loosenings(checked.config, this.deps.limits);
    const changed = changedPaths(plain(this.config), plain(checked.config));
    const prepared = this.prepareAll(checked.config);
    for (const p of prepared.changes) p.abort();
    const problems = [
      ...loose.map((l) => ({ path: l.path, message: `limit-loosened: ${l.message}` })),
      ...prepared.problems,
    ];
    return {
      valid: problems.length === 0,
      problems,
      changed,
      restartRequired: this.needRestart(changed, prepared.changes),
    };
  }

  set(change: ConfigChange, by: string) {
    return this.serially(() => this.apply(this.nextDocument(change), by));
  }

  history() {
    return [
      { version: 0, ts: "", hash: documentHash(this.deps.starting.base), by: "local file" },
      ...this.versions,
    ];
  }

  rollback(version: number, by: string) {
    return this.serially(async () => {
      if (version === 0) return this.apply(this.deps.starting.base, `${by} (rollback to 0)`);
      if (!this.versions.some((v) => v.version === version))
        throw new ControlError(
          "not-found",
          `no stored version ${version} (have 0, ${this.versions.map((v) => v.version).join(", ")})`,
          "version",
        );
      const read = await this.state.read(version, this.deps.starting.base);
      if ("problem" in read) throw new ControlError("not-found", read.problem, "version");
      return this.apply(read.document, `${by} (rollback to ${version})`);
    });
  }

  private nextDocument(change: ConfigChange): Record<string, unknown> {
    return "document" in change
      ? change.document
      : (mergePatch(this.document, change.patch) as Record<string, unknown>);
  }

  private async apply(next: Record<string, unknown>, by: string) {
    const checked = checkDocument(next);
    if ("problems" in checked) {
      const [first] = checked.problems;
      throw new ControlError(
        "invalid",
        checked.problems.map((p) => `${p.path || "(document)"}: ${p.message}`).join("; "),
        first?.path,
      );
    }
    const loose = loosenings(checked.config, this.deps.limits);
    if (loose.length > 0)
      throw new ControlError(
        "limit-loosened",
        loose.map((l) => `${l.path}: ${l.message}`).join("; "),
        loose[0]!.path,
      );
    const changed = changedPaths(plain(this.config), plain(checked.config));
    if (changed.length === 0)
      return { version: this.version, hash: documentHash(this.document), changed, restartRequired: [] };
    const prepared = this.prepareAll(checked.config);
    if (prepared.problems.length > 0) {
      for (const p of prepared.changes) p.abort();
      throw new ControlError(
        "conflict",
        prepared.problems.map((p) => `${p.path}: ${p.message}`).join("; "),
        prepared.problems[0]!.path,
      );
    }
    const entry: VersionEntry = {
      version: Math.max(0, ...this.versions.map((v) => v.version)) + 1,
      ts: new Date().toISOString(),
      hash: documentHash(next),
      by,
    };
    try {
      this.versions = await this.state.write(
        entry,
        diffPatch(this.deps.starting.base, next) as Record<string, unknown>,
        this.versions,
      );
    } catch (err) {
      for (const p of prepared.changes) p.abort();
      this.deps.logger.error(
        { err: (err as Error).message },
        "could not persist the configuration: nothing changed",
      );
      throw new ControlError("internal", `could not persist the configuration: ${(err as Error).message}`);
    }
    for (const p of prepared.changes) p.commit();
    this.document = next;
    this.config = checked.config;
    this.version = entry.version;
    const restartRequired = this.needRestart(changed, prepared.changes);
    this.deps.logger.warn({ version: entry.version, by, changed, restartRequired }, "configuration changed");
    this.announce();
    return { version: entry.version, hash: entry.hash, changed, restartRequired };
  }

  private prepareAll(next: BenchConfig): { changes: PreparedChange[]; problems: ConfigProblem[] } {
    const changes: PreparedChange[] = [];
    const problems: ConfigProblem[] = [];
    for (const service of this.deps.services()) {
      try {
        const change = service.prepare?.(next);
        if (change) changes.push(change);
      } catch (err) {
        problems.push({ path: service.name, message: (err as Error).message });
      }
    }
    return { changes, problems };
  }

  private needRestart(changed: string[], changes: readonly PreparedChange[]): string[] {
    const live = changes.flatMap((c) => c.paths);
    return changed.filter((path) => !live.some((p) => path === p || path.startsWith(`${p}.`)));
  }

  /** One change at a time: a push waits for the one before it. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
