/**
 * The aligner in the agent: the configured stage through its HAL actuator, the signal from a power
 * monitor channel or a detector's tags, real time. It runs from start-up until stopped: first
 * light, peak, tracking, recovery. Motion waits while an interlock is tripped or the stage is
 * faulted. State goes to `alignment` (every publishEveryS and on each change of mode); alarms:
 * `alarm/alignment-lost` when the peak cannot be found (retried with backoff), and
 * `alarm/alignment-low` when coupling stays below alarm.belowFraction for alarm.forS.
 */
import { resolveTagger } from "../../config/devices.js";
import type { BenchConfig } from "../../config/schema.js";
import type { Actuator, Axis, PowerMonitor, TimeTagChunk } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { Aligner } from "../alignment/aligner.js";
import { buildAligner } from "../alignment/setup.js";
import type { AlignmentClock, AlignmentSignal, AlignmentState } from "../alignment/types.js";
import { Backoff } from "../backoff.js";
import type { AlarmPayload } from "../mqtt/topics.js";

export const realClock: AlignmentClock = {
  nowS: () => performance.now() / 1000,
  sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
};

/** The photodiode: one ADC conversion of the configured channel, in its unit. */
export function powerSignal(
  monitor: PowerMonitor,
  input: number,
  perVolt: number,
  noise: { relativeNoise: number; noiseFloor: number },
): AlignmentSignal {
  return {
    unit: "mW",
    sample: async () => {
      const value = (await monitor.readInputV(input)) * perVolt;
      return { value, sigma: Math.hypot(noise.relativeNoise * value, noise.noiseFloor) };
    },
  };
}

/**
 * A detector's count rate from the live tags: one chunk is let pass (it may hold photons from
 * before the last move), then the detector's tags are counted over `integrationS` of tagger time.
 */
export class CountSignal implements AlignmentSignal {
  readonly unit = "cps" as const;
  private waiting: { skip: number; fromPs?: number; counts: number; done: (n: number) => void } | undefined;

  constructor(
    private readonly channel: number,
    private readonly integrationS: number,
  ) {}

  /** Feed from the time-tag stream. */
  push(chunk: TimeTagChunk): void {
    const w = this.waiting;
    if (!w || chunk.timesPs.length === 0) return;
    if (w.skip > 0) {
      w.skip--;
      w.fromPs = chunk.epochPs + chunk.timesPs[chunk.timesPs.length - 1]!;
      return;
    }
    const untilPs = w.fromPs! + this.integrationS * 1e12;
    for (let i = 0; i < chunk.channels.length; i++) {
      const t = chunk.epochPs + chunk.timesPs[i]!;
      if (t <= w.fromPs!) continue;
      if (t > untilPs) {
        this.waiting = undefined;
        w.done(w.counts);
        return;
      }
      if (chunk.channels[i] === this.channel) w.counts++;
    }
  }

  async sample() {
    const counts = await new Promise<number>((done) => {
      this.waiting = { skip: 1, counts: 0, done };
    });
    return { value: counts / this.integrationS, sigma: Math.sqrt(Math.max(counts, 1)) / this.integrationS };
  }
}

export interface AlignmentDeps {
  actuator: Actuator;
  signal: AlignmentSignal;
  /** Why motion must wait now (tripped interlocks, a faulted stage), if it must. */
  blocked: () => string | undefined;
  publishState: (state: AlignmentState) => void;
  publishAlarm: (alarm: AlarmPayload) => void;
}

export class AlignmentService {
  private aligner: Aligner | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastPublishS = 0;
  private lastMode = "";
  private lowSinceS: number | undefined;
  private readonly alarms = new Map<string, AlarmPayload>();
  private readonly backoff = new Backoff(5000, 300_000);
  private wake: (() => void) | undefined;

  constructor(
    private readonly config: BenchConfig,
    private readonly deps: AlignmentDeps,
    private readonly logger: Logger,
    private readonly clock: AlignmentClock = realClock,
  ) {}

  /** Starts the aligner in the background; a failure (a faulted stage at start-up) is retried, never thrown. */
  start(): void {
    this.running = this.loop();
  }

  /** Stops at the next sample (or ends a wait between attempts); the stage holds where it is. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.aligner?.stop();
    this.wake?.();
    await this.running;
  }

  private async build(): Promise<Aligner> {
    const { actuator } = this.deps;
    const startUm: Partial<Record<Axis, number>> = {};
    for (const axis of actuator.axes) startUm[axis] = await actuator.readPositionUm(axis);
    return buildAligner(
      this.config,
      { driver: actuator, clock: this.clock, signal: this.deps.signal, blocked: this.deps.blocked, startUm },
      this.logger,
      (state) => this.onState(state),
    ).aligner;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        this.aligner ??= await this.build();
        const end = await this.aligner.run(Number.POSITIVE_INFINITY);
        if (this.stopped) break;
        this.alarm("alignment-lost", true, `alignment: ${end.note ?? "stopped"}`);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, "alignment failed");
        this.alarm("alignment-lost", true, `alignment failed: ${(err as Error).message}`);
      }
      if (this.stopped) break;
      const retryMs = this.backoff.next();
      this.logger.warn({ retryInMs: retryMs }, "alignment: trying again later");
      // A wait that stop() can end.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private onState(state: AlignmentState): void {
    const now = this.clock.nowS();
    const { alarm, publishEveryS } = this.config.alignment;
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
      this.deps.publishState(state);
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
    this.deps.publishAlarm(payload);
  }
}

/** The service from the bench file and the running agent's parts; undefined when alignment is off. */
export function alignmentFromConfig(
  config: BenchConfig,
  parts: {
    actuators: ReadonlyMap<string, Actuator>;
    powerMonitors: ReadonlyMap<string, PowerMonitor>;
    subscribeTags: (listener: (source: string, chunk: TimeTagChunk) => void) => void;
    trippedRules: () => string[];
    faultedDevices: () => string[];
    publishState: (state: AlignmentState) => void;
    publishAlarm: (alarm: AlarmPayload) => void;
  },
  logger: Logger,
): AlignmentService | undefined {
  const a = config.alignment;
  if (!a.enabled) return undefined;
  const actuator = parts.actuators.get(a.stage);
  if (!actuator) throw new Error(`alignment.stage: no actuator "${a.stage}" was built`);
  let signal: AlignmentSignal;
  if (a.signal.kind === "power") {
    const device = config.devices[a.signal.device];
    const monitor = parts.powerMonitors.get(a.signal.device);
    const channelName = a.signal.channel;
    const channel =
      device?.type === "ads1115" ? device.channels.find((c) => c.name === channelName) : undefined;
    if (!monitor || !channel)
      throw new Error(`alignment.signal: no power monitor channel ${a.signal.device}.${channelName}`);
    signal = powerSignal(monitor, channel.input, channel.perVolt, a.signal);
  } else {
    const tagger = resolveTagger(config.devices, config.correlation.source);
    if ("problem" in tagger) throw new Error(`alignment.signal: ${tagger.problem}`);
    const counts = new CountSignal(
      tagger.tagger.channels.detectors[a.signal.detector]!,
      a.signal.integrationMs / 1000,
    );
    parts.subscribeTags((source, chunk) => {
      if (source === tagger.name) counts.push(chunk);
    });
    signal = counts;
  }
  return new AlignmentService(
    config,
    {
      actuator,
      signal,
      blocked: () => {
        const tripped = parts.trippedRules();
        if (tripped.length > 0) return `interlock ${tripped.join(", ")} tripped`;
        if (parts.faultedDevices().includes(a.stage)) return `${a.stage} is faulted`;
        return undefined;
      },
      publishState: parts.publishState,
      publishAlarm: parts.publishAlarm,
    },
    logger,
  );
}
