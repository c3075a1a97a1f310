/**
 * Keeps every time-tag source streaming and emits its chunks on the bus as `tags` events (the
 * correlator, the raw-tag recorder and the count-rate aligner subscribe there). A source that fails to start, or goes silent — no frame, not even a
 * heartbeat, for `silenceS` — is restarted with exponential backoff.
 */
import type { TelemetryValues, TimeTagSource } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { Backoff } from "../backoff.js";
import type { EventBus } from "../events.js";
import type { Service } from "../service.js";
import { describeFault } from "./telemetry.js";

interface SourceState {
  name: string;
  source: TimeTagSource;
  running: boolean;
  backoff: Backoff;
  nextTryAtMs: number;
  tags: number;
}

export interface TimeTagStreamDeps {
  /** The tagger devices, read at start (they are built by then). */
  sources: ReadonlyMap<string, TimeTagSource>;
  bus: EventBus;
  logger: Logger;
  settings?: { checkEveryMs: number; silenceS: number; retryInitialMs: number; retryMaxMs: number };
}

export class TimeTagStreams implements Service {
  readonly name = "time-tags";
  private states: SourceState[] = [];
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private readonly logger: Logger;
  private readonly settings: NonNullable<TimeTagStreamDeps["settings"]>;

  constructor(private readonly deps: TimeTagStreamDeps) {
    this.logger = deps.logger;
    this.settings = deps.settings ?? {
      checkEveryMs: 1000,
      silenceS: 3,
      retryInitialMs: 1000,
      retryMaxMs: 30_000,
    };
  }

  /** Tags received per source since the agent started. */
  tagCounts(): Record<string, number> {
    return Object.fromEntries(this.states.map((s) => [s.name, s.tags]));
  }

  health(): TelemetryValues {
    return { tagsReceived: this.states.reduce((sum, s) => sum + s.tags, 0) };
  }

  async start(): Promise<void> {
    this.states = [...this.deps.sources].map(([name, source]) => ({
      name,
      source,
      running: false,
      backoff: new Backoff(this.settings.retryInitialMs, this.settings.retryMaxMs),
      nextTryAtMs: 0,
      tags: 0,
    }));
    await this.check();
    this.timer = setInterval(() => void this.check(), this.settings.checkEveryMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled(this.states.map((s) => s.source.stop()));
    for (const s of this.states) s.running = false;
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all(this.states.map((s) => this.keepStreaming(s)));
    } finally {
      this.checking = false;
    }
  }

  private async keepStreaming(s: SourceState): Promise<void> {
    const now = Date.now();
    if (s.running) {
      const silentS = (now - (s.source.lastDataAtMs ?? 0)) / 1000;
      if (silentS <= this.settings.silenceS) return;
      this.logger.error({ source: s.name, silentS }, "time-tag stream went silent; restarting it");
      s.running = false;
      await s.source.stop().catch(() => undefined);
    }
    if (now < s.nextTryAtMs) return;
    try {
      await s.source.start((chunk) => {
        s.tags += chunk.channels.length;
        this.deps.bus.emit("tags", { source: s.name, chunk });
      });
      s.running = true;
      s.backoff.reset();
      this.logger.info({ source: s.name }, "time-tag stream running");
    } catch (err) {
      const retryMs = s.backoff.next();
      s.nextTryAtMs = Date.now() + retryMs;
      this.logger.error(
        { source: s.name, ...describeFault(err), retryInMs: retryMs },
        "time-tag stream did not start",
      );
    }
  }
}
