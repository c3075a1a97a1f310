/**
 * Whether the system clock is synchronised (NTP through systemd-timesyncd or chrony; PTP through
 * chrony's PHC reference), asked of the system every `checkS`: `timedatectl show` first
 * (NTPSynchronized=yes|no), else `chronyc -c tracking` (its leap status: "Not synchronised" when
 * it is not). Published in the agent's telemetry (`clockSynced`, `clockSyncSource`) and on every
 * measurement (`clock`); `clock-unsynchronised` (warning) is raised while the system says it is
 * not synchronised. When neither tool answers the state is `unknown`: logged once, no alarm.
 */
import { execFile } from "node:child_process";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import type { Service } from "../service.js";

export type RunCommand = (file: string, args: string[]) => Promise<string>;

export interface ClockState {
  /** The clock every `ts` is on. */
  clock: "system";
  synced: boolean | null;
  source: "timedatectl" | "chrony" | "unknown";
  /** chrony's estimate of the system clock's offset, ms. */
  offsetMs?: number;
}

const run: RunCommand = (file, args) =>
  new Promise((resolve, reject) =>
    execFile(file, args, { timeout: 5000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );

/** Parses `timedatectl show -p NTPSynchronized --value` or `chronyc -c tracking`. */
export function parseClockReply(source: "timedatectl" | "chrony", text: string): ClockState | undefined {
  if (source === "timedatectl") {
    const v = text.trim();
    return v === "yes" || v === "no" ? { clock: "system", synced: v === "yes", source } : undefined;
  }
  const fields = text.trim().split(",");
  if (fields.length < 14) return undefined;
  const offsetS = Number(fields[4]);
  return {
    clock: "system",
    synced: fields[13] !== "Not synchronised",
    source,
    ...(Number.isFinite(offsetS) ? { offsetMs: offsetS * 1000 } : {}),
  };
}

export class ClockSync implements Service {
  readonly name = "clock-sync";
  private state: ClockState = { clock: "system", synced: null, source: "unknown" };
  private timer: NodeJS.Timeout | undefined;
  private alarmed = false;
  private unknownLogged = false;

  constructor(
    private readonly deps: {
      bus: EventBus;
      logger: Logger;
      checkS: number;
      requireSync: boolean;
      run?: RunCommand;
    },
  ) {}

  get current(): ClockState {
    return this.state;
  }

  /** The first check runs in the background: a slow or hung tool does not hold up the start. */
  async start(): Promise<void> {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.deps.checkS * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  health(): TelemetryValues {
    return {
      clockSynced: this.state.synced === null ? "unknown" : this.state.synced,
      clockSyncSource: this.state.source,
    };
  }

  async check(): Promise<void> {
    const exec = this.deps.run ?? run;
    const tries: Array<["timedatectl" | "chrony", string, string[]]> = [
      ["timedatectl", "timedatectl", ["show", "-p", "NTPSynchronized", "--value"]],
      ["chrony", "chronyc", ["-c", "tracking"]],
    ];
    let found: ClockState | undefined;
    for (const [source, file, args] of tries) {
      found = await exec(file, args).then(
        (text) => parseClockReply(source, text),
        () => undefined,
      );
      if (found) break;
    }
    this.state = found ?? { clock: "system", synced: null, source: "unknown" };
    if (!found && !this.unknownLogged) {
      this.unknownLogged = true;
      this.deps.logger.warn("clock synchronisation unknown: neither timedatectl nor chronyc answered");
    }
    const bad = this.deps.requireSync && this.state.synced === false;
    if (bad === this.alarmed) return;
    this.alarmed = bad;
    this.deps.bus.emit("alarm", {
      ts: new Date().toISOString(),
      name: "clock-unsynchronised",
      active: bad,
      severity: "warning",
      message: bad
        ? `the system clock is not synchronised (${this.state.source}): timestamps may drift from other benches'`
        : `the system clock is synchronised again (${this.state.source})`,
    });
  }
}
