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
 *
 * The inputs' lines and the permit lines are also watched and driven by the interlock guard's
 * thread (./interlock-guard.ts), which holds a laser's permit low on a trip even while this loop
 * is delayed; this service tells it what it latched and holds.
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
import { InterlockGuard } from "./interlock-guard.js";
import type { LatchStore } from "./latch-store.js";
import type { LatestReadings } from "./latest-readings.js";
import { PermitLines } from "./permit-lines.js";
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
  /** Run the interlock guard's thread over the lines it can reach (default true). */
  guard?: boolean;
}

export class InterlockService implements TelemetrySource, Service {
  readonly name = "interlocks";
  private periodMs: number;
  private readonly now: () => number;
  private readonly rules: RuleState[];
  private timer: NodeJS.Timeout | undefined;
  private unwatch: Array<() => void> = [];
  private busy = false;
  private again = false;
  private startedAtMs = 0;
  private readonly lag = new TickLag();
  private readonly permits: PermitLines;
  private guard: InterlockGuard | undefined;
  private readonly failures: FailureLog;
  private readonly lateTicks: LateTicks;

  constructor(private readonly deps: InterlockDeps) {
    this.lateTicks = new LateTicks(deps.bus, deps.logger, deps.now ?? Date.now);
    this.periodMs = deps.periodMs;
    this.failures = new FailureLog(deps.logger);
    this.now = deps.now ?? Date.now;
    this.rules = deps.rules.map((rule) => ({
      rule,
      tripped: false,
      latched: false,
      reasons: [],
      since: undefined,
      detectorsSafe: false,
    }));
    const covered = new Set(deps.rules.flatMap((r) => r.safe.lasers));
    this.permits = new PermitLines(deps.devices.lasers, covered, deps.logger);
  }

  async start(): Promise<void> {
    this.startedAtMs = performance.now(); // monotonic: a wall-clock step must not age the grace
    const before = (await this.deps.latches?.latchedBefore(this.rules.map((r) => r.rule.name))) ?? new Map();
    for (const state of this.rules) {
      state.since = before.get(state.rule.name);
      state.latched = state.since !== undefined;
      if (state.latched) this.publishAlarm(state);
    }
    // The guard first, holding what was latched: it watches the lines while the rest starts up.
    if (this.deps.guard !== false) {
      this.guard = InterlockGuard.over({ ...this.deps, reassertMs: this.periodMs, now: this.now });
      this.permits.guard = this.guard; // it owns its lines from the moment its thread runs
      await this.guard?.start(this.heldLasers());
    }
    for (const [name, input] of this.deps.devices.inputs)
      this.unwatch.push(
        input.watch((tripped) => {
          this.deps.logger.debug({ input: name, tripped }, "interlock input edge");
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
    await this.guard?.stop();
    await this.deps.latches?.flushed();
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
        // The watchdog is fed while both loops run: a stalled guard must get the agent restarted too.
        if (!this.guard || this.guard.alive()) this.deps.onTick?.();
      } while (this.again);
    } finally {
      this.busy = false;
    }
  }

  private async evaluate(): Promise<void> {
    const inputReasons = new Map<string, string>();
    // Trips the guard saw that this loop may have missed (a door opened and shut while it was busy).
    const pending = this.guard?.pendingTrips() ?? new Map();
    for (const [name, { unreadable }] of pending)
      inputReasons.set(
        name,
        `${name} ${unreadable ? "unreadable" : "tripped"} (seen by the interlock guard)`,
      );
    await Promise.all(
      [...this.deps.devices.inputs].map(async ([name, input]) => {
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
        const reading = this.deps.latest.number(t.device, `${t.input}TempK`);
        const unknownForS = reading ? reading.ageS : (performance.now() - this.startedAtMs) / 1000;
        if (unknownForS > t.staleAfterS)
          reasons.push(`${t.device}.${t.input} unknown for ${unknownForS.toFixed(1)} s`);
        else if (reading && reading.value > t.maxK)
          reasons.push(`${t.device}.${t.input} at ${reading.value.toFixed(3)} K > ${t.maxK} K`);
      }
      await this.apply(state, reasons);
    }
    this.guard?.acknowledge(pending); // the rules are latched and their lasers held: the guard may let go
  }

  private async apply(state: RuleState, reasons: string[]): Promise<void> {
    const { rule } = state;
    const tripped = reasons.length > 0;
    if (tripped && !state.tripped) {
      state.since = new Date(this.now());
      state.detectorsSafe = false;
      this.deps.logger.error(
        { rule: rule.name, reasons },
        `interlock ${rule.name} tripped: ${reasons.join("; ")}`,
      );
      for (const name of rule.safe.lasers)
        this.deps.devices.lasers
          .get(name)
          ?.setEmission(false, { priority: "urgent" })
          .catch((err: unknown) =>
            this.deps.logger.error({ laser: name, ...describeFault(err) }, "could not switch emission off"),
          );
    }
    if (!tripped && state.tripped) {
      this.deps.logger.warn(
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
        this.deps.devices.detectors
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
    this.deps.latches?.save(
      new Map(this.rules.filter((r) => r.latched && r.since).map((r) => [r.rule.name, r.since!] as const)),
    );
    this.deps.bus.emit("alarm", {
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
        this.deps.logger.warn({ rule: state.rule.name }, `interlock ${state.rule.name} reset`);
        this.publishAlarm(state);
      }
    }
    await this.holdLasers();
    await this.guard?.settled(); // the permit lines are written when the reset returns
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
  private holdLasers(): Promise<void> {
    return this.permits.drive(this.heldLasers());
  }

  private heldLasers(): Set<string> {
    return new Set(this.rules.filter((r) => r.tripped || r.latched).flatMap((r) => r.rule.safe.lasers));
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
      ...this.guard?.values(),
    };
    for (const s of this.rules) {
      values[`${s.rule.name}Tripped`] = s.tripped;
      values[`${s.rule.name}Latched`] = s.latched;
    }
    return values;
  }
}
