/**
 * Safety interlocks, on their own tick (config `loops.interlocks.periodMs`) and on every edge of
 * an interlock input. A rule trips when any of its inputs reads unsafe, cannot be read, or one of
 * its temperatures is above its limit or unknown for longer than `staleAfterS` (fail safe).
 *
 * While a rule is tripped: its lasers' hardware permit line is held low (a GPIO write, no serial
 * round trip, re-asserted every tick) and emission is switched off over serial in the
 * background; its detectors get bias to zero and readout off. A rule that tripped stays latched
 * when its inputs clear: the permit stays low and its alarm active until a person resets it
 * (`interlock/reset`, refused while an input is still unsafe); emission and bias then stay off
 * until someone switches them on (no automatic restart after an interlock, as laser-safety
 * practice requires). Nothing here waits behind other work: serial actions are never awaited
 * inside a tick. Latches survive a restart (./latch-store.ts).
 */
import type { BenchConfig, InterlockRule } from "../../config/schema.js";
import type {
  Detector,
  InterlockInput,
  Laser,
  TelemetrySource,
  TelemetryValues,
} from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import type { PreparedChange, Service } from "../service.js";
import type { LatchStore } from "./latch-store.js";
import type { LatestReadings } from "./latest-readings.js";
import { describeFault } from "./telemetry.js";
import { FailureLog, LateTicks, TickLag } from "./tick-watch.js";

export interface InterlockDevices {
  inputs: ReadonlyMap<string, InterlockInput>;
  lasers: ReadonlyMap<string, Laser>;
  detectors: ReadonlyMap<string, Detector>;
}

interface RuleState {
  rule: InterlockRule;
  tripped: boolean;
  /** Tripped once and not reset since. */
  latched: boolean;
  reasons: string[];
  since: Date | undefined;
  detectorsSafe: boolean;
}

export interface InterlockDeps {
  rules: readonly InterlockRule[];
  /** The interlock tick; a trip acts within one tick. */
  periodMs: number;
  devices: InterlockDevices;
  latest: LatestReadings;
  /** Alarms go out here. */
  bus: EventBus;
  logger: Logger;
  now?: () => number;
  /** Called after each completed tick: the systemd watchdog is fed from here, so a stalled loop stops it. */
  onTick?: () => void;
  /** Where latches are kept across restarts (none: in memory only). */
  latches?: LatchStore;
}

export class InterlockService implements TelemetrySource, Service {
  readonly name = "interlocks";
  private readonly devices: InterlockDevices;
  private readonly latest: LatestReadings;
  private readonly bus: EventBus;
  private periodMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly onTick: (() => void) | undefined;
  private readonly rules: RuleState[];
  private timer: NodeJS.Timeout | undefined;
  private unwatch: Array<() => void> = [];
  private busy = false;
  private again = false;
  private startedAtMs = 0;
  private readonly lag = new TickLag();
  /** The permit level last written to each laser's line (absent: unknown, write it). */
  private readonly permitWritten = new Map<string, boolean>();
  private readonly failures: FailureLog;
  private readonly latches: LatchStore | undefined;
  private readonly lateTicks: LateTicks;

  constructor(deps: InterlockDeps) {
    this.latches = deps.latches;
    this.lateTicks = new LateTicks(deps.bus, deps.logger, deps.now ?? Date.now);
    this.devices = deps.devices;
    this.latest = deps.latest;
    this.bus = deps.bus;
    this.periodMs = deps.periodMs;
    this.logger = deps.logger;
    this.failures = new FailureLog(deps.logger);
    this.now = deps.now ?? Date.now;
    this.onTick = deps.onTick;
    this.rules = deps.rules.map((rule) => ({
      rule,
      tripped: false,
      latched: false,
      reasons: [],
      since: undefined,
      detectorsSafe: false,
    }));
  }

  /**
   * Lasers that some rule needs safe right now — an input tripped, or the rule latched before a
   * restart: the composition root opens their permit line low.
   */
  static lasersToHold(
    rules: readonly InterlockRule[],
    trippedInputs: ReadonlySet<string>,
    latchedRules: ReadonlySet<string> = new Set(),
  ): Set<string> {
    const held = new Set<string>();
    for (const rule of rules)
      if (latchedRules.has(rule.name) || rule.inputs.some((i) => trippedInputs.has(i)))
        for (const laser of rule.safe.lasers) held.add(laser);
    return held;
  }

  async start(): Promise<void> {
    this.startedAtMs = performance.now(); // monotonic: a wall-clock step must not age the grace
    const before = (await this.latches?.latchedBefore(this.rules.map((r) => r.rule.name))) ?? new Map();
    for (const state of this.rules) {
      state.since = before.get(state.rule.name);
      state.latched = state.since !== undefined;
      if (state.latched) this.publishAlarm(state);
    }
    for (const [name, input] of this.devices.inputs)
      this.unwatch.push(
        input.watch((tripped) => {
          this.logger.debug({ input: name, tripped }, "interlock input edge");
          void this.tick();
        }),
      );
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.periodMs);
  }

  /** The tick period changes live (a push may only shorten it); rules need a restart. */
  prepare(next: BenchConfig): PreparedChange {
    const periodMs = next.loops.interlocks.periodMs;
    return {
      paths: ["loops.interlocks.periodMs"],
      commit: () => {
        this.periodMs = periodMs;
        if (!this.timer) return;
        clearInterval(this.timer);
        this.timer = setInterval(() => void this.tick(), this.periodMs);
      },
      abort: () => {},
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const unwatch of this.unwatch.splice(0)) unwatch();
    await this.latches?.flushed();
  }

  /** One evaluation of every rule. Overlapping calls (an edge during a tick) run once more after. */
  async tick(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        this.lag.tick(this.periodMs);
        this.lateTicks.check(this.lag.lastLagMs, this.periodMs);
        await this.evaluate();
        this.onTick?.();
      } while (this.again);
    } finally {
      this.busy = false;
    }
  }

  private async evaluate(): Promise<void> {
    const inputReasons = new Map<string, string>();
    await Promise.all(
      [...this.devices.inputs].map(async ([name, input]) => {
        try {
          if (await input.readTripped()) inputReasons.set(name, `${name} tripped`);
        } catch (err) {
          inputReasons.set(name, `${name} unreadable (${describeFault(err).message})`);
        }
      }),
    );
    for (const state of this.rules) {
      const reasons = state.rule.inputs.flatMap((i) => (inputReasons.has(i) ? [inputReasons.get(i)!] : []));
      for (const t of state.rule.temperatures) {
        const reading = this.latest.number(t.device, `${t.input}TempK`);
        const unknownForS = reading ? reading.ageS : (performance.now() - this.startedAtMs) / 1000;
        if (unknownForS > t.staleAfterS)
          reasons.push(`${t.device}.${t.input} unknown for ${unknownForS.toFixed(1)} s`);
        else if (reading && reading.value > t.maxK)
          reasons.push(`${t.device}.${t.input} at ${reading.value.toFixed(3)} K > ${t.maxK} K`);
      }
      await this.apply(state, reasons);
    }
  }

  private async apply(state: RuleState, reasons: string[]): Promise<void> {
    const { rule } = state;
    const tripped = reasons.length > 0;
    if (tripped && !state.tripped) {
      state.since = new Date(this.now());
      state.detectorsSafe = false;
      this.logger.error(
        { rule: rule.name, reasons },
        `interlock ${rule.name} tripped: ${reasons.join("; ")}`,
      );
      for (const name of rule.safe.lasers)
        this.devices.lasers
          .get(name)
          ?.setEmission(false, { priority: "urgent" })
          .catch((err: unknown) =>
            this.logger.error({ laser: name, ...describeFault(err) }, "could not switch emission off"),
          );
    }
    if (!tripped && state.tripped) {
      this.logger.warn(
        { rule: rule.name },
        `interlock ${rule.name}: inputs clear; latched until reset (interlock/reset)`,
      );
    }
    const changed = tripped !== state.tripped || reasons.join() !== state.reasons.join();
    if (tripped) state.latched = true;
    state.tripped = tripped;
    state.reasons = reasons;
    if (changed) this.publishAlarm(state);
    await this.holdLasers();
    if (tripped && !state.detectorsSafe) {
      state.detectorsSafe = true;
      for (const name of rule.safe.detectors)
        this.devices.detectors
          .get(name)
          ?.makeSafe()
          .then(
            () => this.failures.note(`detector ${name}`, undefined),
            (err: unknown) => {
              state.detectorsSafe = false; // try again next tick
              this.failures.note(`detector ${name}`, err, "could not make the detector safe");
            },
          );
    }
  }

  private publishAlarm(state: RuleState): void {
    const active = state.tripped || state.latched;
    this.latches?.save(
      new Map(this.rules.filter((r) => r.latched && r.since).map((r) => [r.rule.name, r.since!] as const)),
    );
    this.bus.emit("alarm", {
      ts: new Date(this.now()).toISOString(),
      name: `interlock-${state.rule.name}`,
      active,
      severity: "critical",
      message: state.tripped
        ? state.reasons.join("; ")
        : state.latched
          ? "inputs clear; latched until reset (interlock/reset)"
          : "reset",
      ...(state.since && active ? { since: state.since.toISOString() } : {}),
    });
    if (!active) state.since = undefined;
  }

  /**
   * Resets latched rules (all, or those named) whose inputs are clear now; a rule still tripped
   * is not reset. The lasers' permit comes back at once; emission and bias stay off.
   */
  async reset(
    names?: readonly string[],
  ): Promise<{ reset: string[]; stillTripped: string[]; unknown: string[] }> {
    await this.tick();
    const known = new Set(this.rules.map((r) => r.rule.name));
    const out = {
      reset: [] as string[],
      stillTripped: [] as string[],
      unknown: (names ?? []).filter((n) => !known.has(n)),
    };
    for (const state of this.rules) {
      if (names && !names.includes(state.rule.name)) continue;
      if (state.tripped) out.stillTripped.push(state.rule.name);
      else if (state.latched) {
        state.latched = false;
        out.reset.push(state.rule.name);
        this.logger.warn({ rule: state.rule.name }, `interlock ${state.rule.name} reset`);
        this.publishAlarm(state);
      }
    }
    await this.holdLasers();
    return out;
  }

  /** Rules tripped or latched that cover this laser or detector: a command to it is refused while any is. */
  blockingRules(device: string): string[] {
    return this.rules
      .filter(
        (r) => (r.tripped || r.latched) && [...r.rule.safe.lasers, ...r.rule.safe.detectors].includes(device),
      )
      .map((r) => r.rule.name);
  }

  /** Permit lines: low for every laser some tripped or latched rule covers, high for the others. */
  private async holdLasers(): Promise<void> {
    const held = new Set(this.rules.filter((r) => r.tripped || r.latched).flatMap((r) => r.rule.safe.lasers));
    const covered = new Set(this.rules.flatMap((r) => r.rule.safe.lasers));
    await Promise.all(
      [...covered].map(async (name) => {
        const permit = !held.has(name);
        // A held line is re-asserted every tick; a permitted one is written when it changes.
        if (permit && this.permitWritten.get(name) === true) return;
        try {
          await this.devices.lasers.get(name)?.setInterlockPermit(permit);
          this.permitWritten.set(name, permit);
          this.failures.note(`laser ${name}`, undefined);
        } catch (err) {
          this.permitWritten.delete(name);
          this.failures.note(`laser ${name}`, err, "could not drive the laser's interlock line");
        }
      }),
    );
  }

  /** Rules tripped now (motion and emission wait while any is). */
  trippedRules(): string[] {
    return this.rules.filter((s) => s.tripped).map((s) => s.rule.name);
  }

  /** Rules tripped or latched (not yet reset): their lasers are held off. */
  heldRules(): string[] {
    return this.rules.filter((s) => s.tripped || s.latched).map((s) => s.rule.name);
  }

  async readTelemetry(): Promise<TelemetryValues> {
    const values: TelemetryValues = {
      periodMs: this.periodMs,
      ...this.lag.values(),
    };
    for (const s of this.rules) {
      values[`${s.rule.name}Tripped`] = s.tripped;
      values[`${s.rule.name}Latched`] = s.latched;
    }
    return values;
  }
}
