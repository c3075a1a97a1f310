/**
 * The alarms active now, learnt from the bus, and their acknowledgements: `alarm/ack` marks an
 * active alarm acknowledged (who, when) and publishes it again, still active — acknowledging
 * says a person has seen it, it does not clear it. A new activation needs a new acknowledgement.
 *
 * Across a restart: the active alarms are kept in `<state-dir>/alarms.json`. After a restart,
 * what is still wrong is raised again by its service (a latched interlock at once, a faulted
 * device at its first read); an alarm from before that nobody raised again within `graceMs` is
 * cleared, so its retained topic does not say "active" for ever about something long gone.
 */
import type { Logger } from "../../hal/logger.js";
import type { AlarmPayload, EventBus } from "../events.js";
import { BackgroundFile, readStateFile } from "../state-files.js";
import type { AlarmControl } from "./context.js";

export interface AlarmBookOptions {
  file: string;
  logger: Logger;
  /** How long after the start an alarm from before the restart may take to be raised again. */
  graceMs: number;
}

export class AlarmBook implements AlarmControl {
  private readonly alarms = new Map<string, AlarmPayload>();
  private readonly off: () => void;
  private readonly saved: BackgroundFile | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  /** The file as the last run left it, read before any save of this run can replace it. */
  private readonly before: Promise<AlarmPayload[]>;

  constructor(
    private readonly bus: EventBus,
    private readonly options?: AlarmBookOptions,
  ) {
    this.before = options ? this.load(options) : Promise.resolve([]);
    this.saved = options && new BackgroundFile(options.file, "the alarms", options.logger, this.before);
    this.off = bus.on("alarm", (alarm) => {
      if (alarm.active) this.alarms.set(alarm.name, alarm);
      else this.alarms.delete(alarm.name);
      this.save();
    });
  }

  active(): AlarmPayload[] {
    return [...this.alarms.values()];
  }

  acknowledge(name: string, by: string): AlarmPayload | undefined {
    const alarm = this.alarms.get(name);
    if (!alarm) return undefined;
    const acknowledged: AlarmPayload = { ...alarm, acknowledged: { by, ts: new Date().toISOString() } };
    this.bus.emit("alarm", acknowledged);
    return acknowledged;
  }

  private async load(o: AlarmBookOptions): Promise<AlarmPayload[]> {
    const active = await readStateFile(
      o.file,
      (doc) => {
        const parsed = doc as { active?: unknown };
        if (!Array.isArray(parsed.active)) throw new Error("no `active` list");
        return parsed.active.filter(
          (a): a is AlarmPayload =>
            typeof a === "object" && a !== null && typeof (a as AlarmPayload).name === "string",
        );
      },
      o.logger,
      "the alarms from before the restart are unreadable",
    );
    return active ?? [];
  }

  /** Alarms active before the restart and not raised again within the grace period are cleared. */
  async restore(): Promise<void> {
    const o = this.options;
    if (!o) return;
    const before = await this.before;
    if (before.length === 0) return;
    this.graceTimer = setTimeout(() => {
      for (const old of before) {
        if (this.alarms.has(old.name)) continue;
        o.logger.info({ alarm: old.name }, "alarm from before the restart not raised again: cleared");
        this.bus.emit("alarm", {
          ts: new Date().toISOString(),
          name: old.name,
          active: false,
          severity: old.severity === "critical" ? "critical" : "warning",
          message: "not raised again after the agent restarted: cleared",
        });
      }
    }, o.graceMs);
    this.graceTimer.unref();
  }

  private save(): void {
    this.saved?.save(`${JSON.stringify({ active: this.active() })}\n`);
  }

  async close(): Promise<void> {
    clearTimeout(this.graceTimer);
    this.off();
    await this.saved?.flushed();
  }
}
