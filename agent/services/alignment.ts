/**
 * The aligner in the agent: the configured stage through its HAL actuator, the signal from a power
 * monitor channel or a detector's tags, real time. It runs from start-up until stopped: first
 * light, peak, tracking, recovery. Motion waits while an interlock is tripped or the stage is
 * faulted. State goes to `alignment` (every publishEveryS and on each change of mode); alarms:
 * `alarm/alignment-lost` when the peak cannot be found (retried with backoff), and
 * `alarm/alignment-low` when coupling stays below alarm.belowFraction for alarm.forS.
 */
import type { AlignmentSlice } from "../../config/slices.js";
import type { Actuator, Axis, PowerMonitor } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { Aligner } from "../alignment/aligner.js";
import { buildAligner } from "../alignment/setup.js";
import { CountSignal, powerSignal, realClock, reportedSignal } from "../alignment/signals.js";
import type { AlignmentClock, AlignmentSignal, AlignmentState } from "../alignment/types.js";
import { Backoff } from "../backoff.js";
import { type AlarmPayload, alignmentEvent, type EventBus } from "../events.js";
import type { Service } from "../service.js";
import type { LastGoodPosition } from "./last-position.js";

export interface AlignmentDeps {
  slice: AlignmentSlice;
  /** The bench's stages and power monitors, read at start (they are built by then). */
  actuators: ReadonlyMap<string, Actuator>;
  powerMonitors: ReadonlyMap<string, PowerMonitor>;
  /** State and alarms go out here; count-rate signals read `tags` from here. */
  bus: EventBus;
  /**
   * Interlock rules tripped or latched now (their lasers are held off: there is no light to align
   * on, and a search in the dark would lose the peak), and devices faulted now: motion waits
   * while either names something.
   */
  heldRules: () => string[];
  faultedDevices: () => string[];
  logger: Logger;
  clock?: AlignmentClock;
  /** Where the last good position is kept across restarts (none: not kept). */
  lastGood?: LastGoodPosition;
}

export class AlignmentService implements Service {
  readonly name = "alignment";
  private aligner: Aligner | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastPublishS = 0;
  private lastMode = "";
  private lowSinceS: number | undefined;
  private readonly alarms = new Map<string, AlarmPayload>();
  private readonly backoff = new Backoff(5000, 300_000);
  private wake: (() => void) | undefined;
  /** Stopped by a command (`alignment/stop`) until `track`, `peak` or `search`. */
  private held = false;
  private pending: "search" | "peak" | undefined;
  private currentRun: Promise<unknown> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly logger: Logger;
  private readonly clock: AlignmentClock;

  constructor(private readonly deps: AlignmentDeps) {
    this.logger = deps.logger;
    this.clock = deps.clock ?? realClock;
  }

  /** Starts the aligner in the background; a failure (a faulted stage at start-up) is retried, never thrown. */
  async start(): Promise<void> {
    this.stopped = false;
    this.running = this.loop();
  }

  /** Stops at the next sample (or ends a wait between attempts); the stage holds where it is. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.aligner?.stop();
    this.wake?.();
    await this.running;
    await this.deps.lastGood?.flushed();
  }

  /** True while the aligner may move the stage. */
  get active(): boolean {
    return this.running !== undefined && !this.stopped && !this.held;
  }

  /**
   * `stop` holds the stage where it is until another command; `track` resumes (peak first if the
   * peak is not known); `peak` fits the peak again from here; `search` searches the region anew.
   */
  async command(mode: "search" | "peak" | "track" | "stop"): Promise<AlignmentState | undefined> {
    this.held = mode === "stop";
    if (mode === "search" || mode === "peak") this.pending = mode;
    if (mode !== "track") {
      this.aligner?.stop();
      await this.currentRun;
    }
    this.wake?.();
    this.logger.info({ mode }, "alignment: commanded");
    return this.aligner?.state(mode === "stop" ? "stopped by command" : undefined);
  }

  private async build(): Promise<Aligner> {
    const { slice } = this.deps;
    const stageName = slice.section.stage;
    const actuator = this.deps.actuators.get(stageName);
    if (!actuator) throw new Error(`no actuator "${stageName}" was built`);
    const signal = reportedSignal(this.signal(), () => this.aligner?.state(), this.deps.bus);
    const startUm: Partial<Record<Axis, number>> = {};
    for (const axis of actuator.axes) startUm[axis] = await actuator.readPositionUm(axis);
    const blocked = () => {
      const held = this.deps.heldRules();
      if (held.length > 0) return `interlock ${held.join(", ")} tripped or latched`;
      if (this.deps.faultedDevices().includes(stageName)) return `${stageName} is faulted`;
      return undefined;
    };
    const aligner = buildAligner(
      slice,
      { driver: actuator, clock: this.clock, signal, blocked, startUm },
      this.logger,
      (state) => this.onState(state),
    ).aligner;
    const saved = await this.deps.lastGood?.load();
    const away =
      saved && Object.entries(saved).some(([axis, um]) => Math.abs(um - (startUm[axis as Axis] ?? um)) > 0.5);
    if (saved && away) {
      this.logger.info(
        { from: startUm, to: saved },
        "alignment: back to the last good position, then a peak fit",
      );
      await aligner
        .returnTo(saved)
        .catch((err: unknown) =>
          this.logger.warn(
            { err: (err as Error).message },
            "alignment: could not go back to the last good position",
          ),
        );
    }
    return aligner;
  }

  /** The photodiode channel, or a detector's count rate from the bus's tags. */
  private signal(): AlignmentSignal {
    const s = this.deps.slice.signal;
    if (s.kind === "power") {
      const monitor = this.deps.powerMonitors.get(s.device);
      if (!monitor) throw new Error(`no power monitor "${s.device}" was built`);
      return powerSignal(monitor, s.input, s.perVolt, s);
    }
    const counts = new CountSignal(s.channel, s.integrationMs / 1000);
    this.unsubscribe?.();
    this.unsubscribe = this.deps.bus.on("tags", ({ source, chunk }) => {
      if (source === s.tagger) counts.push(chunk);
    });
    return counts;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (this.held) {
        await this.pause();
        continue;
      }
      try {
        this.aligner ??= await this.build();
        if (this.pending) this.aligner.restartFrom(this.pending);
        this.pending = undefined;
        this.currentRun = this.aligner.run(Number.POSITIVE_INFINITY);
        const end = (await this.currentRun) as AlignmentState;
        if (this.stopped) break;
        if (this.held || this.pending) continue; // a command ended the run
        this.alarm("alignment-lost", true, `alignment: ${end.note ?? "stopped"}`);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, "alignment failed");
        this.alarm("alignment-lost", true, `alignment failed: ${(err as Error).message}`);
      }
      if (this.stopped) break;
      const retryMs = this.backoff.next();
      this.logger.warn({ retryInMs: retryMs }, "alignment: trying again later");
      await this.pause(retryMs);
    }
  }

  /** A wait that stop() or a command ends (for ever when no time is given). */
  private async pause(ms?: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private onState(state: AlignmentState): void {
    this.deps.lastGood?.offer(state);
    const now = this.clock.nowS();
    const { alarm, publishEveryS } = this.deps.slice.section;
    if (state.mode === "track") {
      this.backoff.reset();
      this.alarm("alignment-lost", false, "alignment: tracking the peak");
      if (state.fractionOfPeak < alarm.belowFraction) {
        this.lowSinceS ??= now;
        if (now - this.lowSinceS >= alarm.forS)
          this.alarm(
            "alignment-low",
            true,
            `coupling at ${(100 * state.fractionOfPeak).toFixed(0)} % of the peak for over ${alarm.forS} s`,
          );
      } else {
        this.lowSinceS = undefined;
        this.alarm("alignment-low", false, "coupling back above the alarm level");
      }
    }
    if (state.mode !== this.lastMode || now - this.lastPublishS >= publishEveryS) {
      this.lastMode = state.mode;
      this.lastPublishS = now;
      this.deps.bus.emit("alignment", alignmentEvent(state));
    }
  }

  private alarm(name: string, active: boolean, message: string): void {
    const current = this.alarms.get(name);
    if ((current?.active ?? false) === active) return;
    const ts = new Date().toISOString();
    const payload: AlarmPayload = {
      ts,
      name,
      active,
      severity: "warning",
      message,
      ...(active ? { since: ts } : {}),
    };
    this.alarms.set(name, payload);
    if (active) this.logger.warn({ alarm: name }, message);
    this.deps.bus.emit("alarm", payload);
  }
}
