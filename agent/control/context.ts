/**
 * What a verb's handler may reach: the running agent's parts, through narrow views. Handlers
 * refuse by throwing ControlError; whatever else they throw is a device fault.
 */
import type { DeviceConfig } from "../../config/devices.js";
import type { SafetyConfig } from "../../config/schema.js";
import type { AlignmentState } from "../alignment/types.js";
import type { BenchDevices } from "../devices.js";
import type { AlarmPayload, MeasurementEvent } from "../events.js";
import type { RunbookRun } from "../operations/runbook-runner.js";
import type { RunStart } from "../operations/runs.js";
import type { IncidentPayload, RunPayload } from "../operations/types.js";
import { ControlError } from "./protocol.js";

export interface InterlockControl {
  trippedRules(): string[];
  blockingRules(device: string): string[];
  reset(names?: readonly string[]): Promise<{ reset: string[]; stillTripped: string[]; unknown: string[] }>;
}

export interface AlignmentControl {
  command(mode: "search" | "peak" | "track" | "stop"): Promise<AlignmentState | undefined>;
  /** True while the aligner may move the stage (not stopped by a command). */
  readonly active: boolean;
}

export interface RecordingControl {
  readonly recording: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface AlarmControl {
  active(): AlarmPayload[];
  acknowledge(name: string, by: string): AlarmPayload | undefined;
}

/** Runs, maintenance windows, incidents and runbooks (agent/operations/). */
export interface OperationsControl {
  startRun(args: RunStart): RunPayload;
  stopRun(): RunPayload | undefined;
  currentRun(): RunPayload | undefined;
  openMaintenance(minutes: number, reason: string, by: string): { until: string };
  closeMaintenance(): boolean;
  incidents(): IncidentPayload[];
  acknowledgeIncident(id: string, by: string): IncidentPayload | undefined;
  /** The run started, or why not. */
  runRunbook(name: string, trigger: string): RunbookRun | string;
  runbookNames(): string[];
  /** Injects a fault on the simulated bench and scores the chain; why not, as a string. */
  gameDay(
    fault: string,
    device: string | undefined,
    durationS: number | undefined,
  ): { started: string } | string;
}

/** The config verbs' back end (./config-store.ts). */
export interface ConfigControl {
  get(): { version: number; hash: string; config: unknown };
  /** The dry run: every problem with its path, and what would change. */
  validate(change: ConfigChange): {
    valid: boolean;
    problems: Array<{ path: string; message: string }>;
    changed: string[];
    restartRequired: string[];
  };
  set(
    change: ConfigChange,
    by: string,
  ): Promise<{ version: number; hash: string; changed: string[]; restartRequired: string[] }>;
  history(): Array<{ version: number; ts: string; hash: string; by: string }>;
  rollback(
    version: number,
    by: string,
  ): Promise<{ version: number; hash: string; changed: string[]; restartRequired: string[] }>;
}

export type ConfigChange = { document: Record<string, unknown> } | { patch: Record<string, unknown> };

export interface ControlContext {
  benchId: string;
  version: string;
  startedAtMs: number;
  devices: BenchDevices;
  /** The device entries of the running configuration. */
  deviceConfigs: () => Record<string, DeviceConfig>;
  /** The safety limits in force now (a push may have tightened them). */
  safety: () => SafetyConfig;
  interlocks: InterlockControl;
  alarms: AlarmControl;
  latestMeasurements: () => MeasurementEvent[];
  alignment: AlignmentControl | undefined;
  recording: RecordingControl | undefined;
  config: ConfigControl | undefined;
  operations: OperationsControl | undefined;
}

/** The device a request names, or the bench's only one of that kind. */
export function pickDevice<T>(
  devices: ReadonlyMap<string, T>,
  name: string | undefined,
  kind: string,
): [string, T] {
  if (name !== undefined) {
    const device = devices.get(name);
    if (device === undefined)
      throw new ControlError(
        "not-found",
        `no ${kind} named "${name}" (the bench has ${[...devices.keys()].join(", ") || "none"})`,
        "device",
      );
    return [name, device];
  }
  if (devices.size !== 1)
    throw new ControlError(
      "invalid",
      `name the ${kind}: the bench has ${devices.size ? [...devices.keys()].join(", ") : "none"}`,
      "device",
    );
  return [...devices][0]!;
}

/** Refuses a command to a device while an interlock covering it is tripped or latched. */
export function requireNoInterlock(ctx: ControlContext, device: string): void {
  const rules = ctx.interlocks.blockingRules(device);
  if (rules.length > 0)
    throw new ControlError(
      "interlock",
      `interlock ${rules.join(", ")} holds ${device}: clear it and send interlock/reset first`,
    );
}

export function requireAvailable<T>(part: T | undefined, what: string): T {
  if (part === undefined) throw new ControlError("unavailable", `${what} is not configured on this bench`);
  return part;
}
