/**
 * The interlock guard: the part of the interlocks that must not wait for the main event loop
 * (JSON, MQTT, GC, correlation). A worker thread (./interlock-guard-worker.ts) reads the interlock
 * inputs' lines and drives the lasers' permit lines itself, a pass every `pollMs` (5 ms), through
 * shared memory (simulated bench) or the kernel's sysfs files (hardware) — hal/shared-lines.ts.
 *
 * The interlock service on the main thread stays the brain: it latches rules, raises alarms,
 * switches emission off over serial, makes detectors safe, evaluates temperatures (their readings
 * arrive over serial on the main thread) and resets. It tells the guard which lasers it holds; the
 * guard holds a laser's permit low while the service holds it, while an input covering it reads
 * tripped, and from a trip until the service has acknowledged it (after latching). The guard is
 * the only writer of the lines it owns; while its worker is down (it is restarted after a second,
 * with the `interlock-guard` alarm raised meanwhile) the service drives them as before.
 */
import { Worker } from "node:worker_threads";
import type { InterlockRule } from "../../config/schema.js";
import type { BinaryValue, SharedLine, TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import { workerUrl } from "../worker-url.js";
import {
  ACKED,
  controlWords,
  type GuardMessage,
  type GuardSpec,
  HELD,
  inputWord,
  LOOPS,
  laserWord,
  MAX_GAP_MS,
  NOW,
  STATS_WORDS,
  STOP,
  TRIPS,
  WAKE,
} from "./interlock-guard-protocol.js";
import type { InterlockDevices } from "./interlocks.js";
import { FailureLog } from "./tick-watch.js";

/** Between the worker's passes, ms. */
export const GUARD_POLL_MS = 5;
/** No pass for this long: the guard counts as stalled (the watchdog stops being fed), ms. */
const STALLED_AFTER_MS = 1000;
const RESTART_AFTER_MS = 1000;
const STOP_WITHIN_MS = 1000;

export interface GuardDeps {
  rules: readonly InterlockRule[];
  devices: InterlockDevices;
  /** A held permit line is written low again this often (the interlock tick), ms. */
  reassertMs: number;
  bus: EventBus;
  logger: Logger;
  now: () => number;
}

export class InterlockGuard {
  private readonly spec: GuardSpec;
  private readonly control: Int32Array;
  private readonly stats: Float64Array;
  private readonly inputIndex = new Map<string, number>();
  private readonly laserIndex = new Map<string, number>();
  private readonly written: Array<SharedLine["written"]> = [];
  private worker: Worker | undefined;
  private running = false;
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastLoops = -1;
  private lastAdvanceAt = 0;
  private syncs = new Map<number, () => void>();
  private nextSync = 0;
  private readonly failures: FailureLog;
  private downSince: Date | undefined;

  /** A guard over the inputs and lasers whose lines another thread can reach; none: undefined. */
  static over(deps: GuardDeps): InterlockGuard | undefined {
    const guard = new InterlockGuard(deps);
    return guard.spec.lasers.length > 0 ? guard : undefined;
  }

  private constructor(private readonly deps: GuardDeps) {
    this.failures = new FailureLog(deps.logger);
    const inputs: GuardSpec["inputs"] = [];
    for (const [name, input] of deps.devices.inputs) {
      const shared = input.sharedLine?.();
      if (!shared) continue;
      this.inputIndex.set(name, inputs.length);
      inputs.push({ name, line: shared.line.spec, trippedLevel: shared.trippedLevel });
    }
    const lasers: GuardSpec["lasers"] = [];
    for (const [name, laser] of deps.devices.lasers) {
      const line = laser.permitLine?.();
      const covering = deps.rules.filter((r) => r.safe.lasers.includes(name));
      if (!line || covering.length === 0) continue;
      // A covering input the guard cannot read: the laser stays with the main thread, which can.
      const inputNames = covering.flatMap((r) => r.inputs);
      if (inputNames.some((i) => !this.inputIndex.has(i))) continue;
      this.laserIndex.set(name, lasers.length);
      this.written.push(line.written);
      lasers.push({
        name,
        line: line.spec,
        inputs: [...new Set(inputNames)].map((i) => this.inputIndex.get(i)!),
      });
    }
    const control = new SharedArrayBuffer(controlWords(inputs.length, lasers.length) * 4);
    const stats = new SharedArrayBuffer(STATS_WORDS * 8);
    this.control = new Int32Array(control);
    this.stats = new Float64Array(stats);
    this.spec = { control, stats, inputs, lasers, pollMs: GUARD_POLL_MS, reassertMs: deps.reassertMs };
  }

  /** Starts the worker holding `held` from its first pass; resolves after that pass. */
  async start(held: ReadonlySet<string>): Promise<void> {
    this.hold(held);
    this.spawn();
    await this.settled();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    Atomics.store(this.control, STOP, 1);
    this.wake();
    // It ends within a pass; a thread stuck in a read of a line is ended from here after a second.
    const stuck = setTimeout(() => void worker.terminate(), STOP_WITHIN_MS);
    await exited;
    clearTimeout(stuck);
  }

  /** The guard drives this laser's permit line now (its worker is running). */
  owns(laser: string): boolean {
    return this.running && this.laserIndex.has(laser);
  }

  /** The lasers the interlock service holds (every other laser the guard owns is released to its inputs). */
  hold(held: ReadonlySet<string>): void {
    let changed = false;
    for (const [name, j] of this.laserIndex) {
      const word = laserWord(this.spec.inputs.length, j, HELD);
      changed =
        Atomics.exchange(this.control, word, held.has(name) ? 1 : 0) !== (held.has(name) ? 1 : 0) || changed;
    }
    if (changed) this.wake();
  }

  /** Inputs that tripped since the service last acknowledged them (count of trips), or cannot be read now. */
  pendingTrips(): Map<string, { trips: number; unreadable: boolean }> {
    const pending = new Map<string, { trips: number; unreadable: boolean }>();
    for (const [name, i] of this.inputIndex) {
      const trips = Atomics.load(this.control, inputWord(i, TRIPS));
      const unreadable = this.running && Atomics.load(this.control, inputWord(i, NOW)) === 2;
      if (trips !== Atomics.load(this.control, inputWord(i, ACKED)) || unreadable)
        pending.set(name, { trips, unreadable });
    }
    return pending;
  }

  /** The service has acted on these trips (latched their rules, holds their lasers): the guard may let go. */
  acknowledge(pending: ReadonlyMap<string, { trips: number }>): void {
    for (const [name, { trips }] of pending)
      Atomics.store(this.control, inputWord(this.inputIndex.get(name)!, ACKED), trips);
    if (pending.size > 0) this.wake();
  }

  /** The worker made a pass within the last second (checked on the main thread's clock). */
  alive(at = performance.now()): boolean {
    const loops = Atomics.load(this.control, LOOPS);
    if (loops !== this.lastLoops) {
      this.lastLoops = loops;
      this.lastAdvanceAt = at;
    }
    return this.running && at - this.lastAdvanceAt < STALLED_AFTER_MS;
  }

  /** Resolves when the worker has made a whole pass after this call and its messages have arrived. */
  settled(): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    const id = ++this.nextSync;
    return new Promise((resolve) => {
      this.syncs.set(id, resolve);
      worker.postMessage({ kind: "sync", id });
      this.wake();
    });
  }

  values(): TelemetryValues {
    return {
      guardRunning: this.running,
      guardPasses: Atomics.load(this.control, LOOPS),
      guardMaxPassGapMs: Number(this.stats[MAX_GAP_MS]!.toFixed(2)),
      guardRestarts: this.restarts,
    };
  }

  private wake(): void {
    Atomics.add(this.control, WAKE, 1);
    Atomics.notify(this.control, WAKE);
  }

  private spawn(): void {
    const worker = new Worker(workerUrl("interlock-guard-worker"), { workerData: this.spec });
    this.worker = worker;
    this.running = true;
    this.lastAdvanceAt = performance.now();
    worker.on("message", (m: GuardMessage) => this.onMessage(m));
    worker.on("error", (err) => this.deps.logger.error({ err: err.message }, "interlock guard failed"));
    worker.on("exit", (code) => {
      this.running = false;
      this.worker = undefined;
      for (const resolve of this.syncs.values()) resolve();
      this.syncs.clear();
      if (this.stopping) return;
      this.downSince = new Date(this.deps.now());
      this.alarm(true, `the interlock guard's thread ended (exit ${code}); restarting in 1 s`);
      this.restartTimer = setTimeout(() => {
        this.restarts++;
        this.spawn();
        void this.settled().then(() => {
          if (this.running) this.alarm(false, "the interlock guard runs again");
        });
      }, RESTART_AFTER_MS);
    });
  }

  private onMessage(m: GuardMessage): void {
    if (m.kind === "wrote") this.written[m.laser]?.(m.value as BinaryValue);
    else if (m.kind === "synced") {
      this.syncs.get(m.id)?.();
      this.syncs.delete(m.id);
    } else
      this.failures.note(
        m.what,
        m.message === undefined ? undefined : new Error(m.message),
        "the interlock guard",
      );
  }

  private alarm(active: boolean, message: string): void {
    const level = active ? "error" : "info";
    this.deps.logger[level]({ restarts: this.restarts }, message);
    this.deps.bus.emit("alarm", {
      ts: new Date(this.deps.now()).toISOString(),
      name: "interlock-guard",
      active,
      severity: "critical",
      message,
      ...(active && this.downSince ? { since: this.downSince.toISOString() } : {}),
    });
  }
}
