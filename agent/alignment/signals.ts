/**
 * The aligner's clock and signals in the agent: real time, the photodiode through a power
 * monitor's ADC, a detector's count rate from the live tags, and any of them reporting each
 * reading on the bus (`alignmentSample`, for the web view's scan map).
 */
import type { PowerMonitor, TimeTagChunk } from "../../hal/interfaces.js";
import type { EventBus } from "../events.js";
import type { AlignmentClock, AlignmentSignal, AlignmentState } from "./types.js";

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

/** `signal`, each reading also emitted on the bus with where the aligner took it. */
export function reportedSignal(
  signal: AlignmentSignal,
  state: () => AlignmentState | undefined,
  bus: EventBus,
): AlignmentSignal {
  return {
    unit: signal.unit,
    sample: async () => {
      const s = await signal.sample();
      const now = state();
      if (now)
        bus.emit("alignmentSample", {
          mode: now.mode,
          positionUm: now.positionUm,
          signal: s.value,
          signalUnit: signal.unit,
        });
      return s;
    },
  };
}
