/**
 * Runs the live correlator (agent/correlation/live-engine.ts) in a worker thread, so the interlock
 * tick and everything else on the main thread never wait for it. Tag chunks from the time-tag
 * stream are gathered into batches and handed over as transferable buffers. The tags handed over
 * but not yet acknowledged are the backlog; beyond `maxBacklogTags` a batch is dropped — logged
 * and counted, never silent. A worker that dies is restarted with backoff.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { BenchConfig } from "../../config/schema.js";
import type { CorrelationSlice } from "../../config/slices.js";
import type { TelemetryValues, TimeTagChunk } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { Backoff } from "../backoff.js";
import type { TagBatchMessage, WorkerReply } from "../correlation/correlation-worker.js";
import type { LiveSettings } from "../correlation/live-engine.js";
import type { EventBus } from "../events.js";
import type { PreparedChange, Service } from "../service.js";
import { workerUrl } from "../worker-url.js";

export interface CorrelationStats {
  running: boolean;
  tagsCorrelated: number;
  backlogTags: number;
  maxBacklogTags: number;
  droppedTags: number;
  periods: number;
  streamRestarts: number;
  workerRestarts: number;
}

export interface CorrelationOptions {
  /** Tags per batch handed to the worker. */
  batchTags: number;
  /** A partial batch is handed over after this long. */
  flushMs: number;
  /** Backlog beyond which batches are dropped (and counted). */
  maxBacklogTags: number;
}

const DEFAULTS: CorrelationOptions = { batchTags: 1 << 16, flushMs: 50, maxBacklogTags: 50_000_000 };

export interface CorrelationDeps {
  settings: LiveSettings;
  /** The tagger whose `tags` events it correlates; measurements carry it as `source`. */
  source: string;
  bus: EventBus;
  logger: Logger;
  /** The worker script (default: the built one beside this module). */
  workerUrl?: URL;
  options?: Partial<CorrelationOptions>;
}

export class CorrelationService implements Service {
  readonly name = "correlation";
  private worker: Worker | undefined;
  private channels = new Uint8Array(new ArrayBuffer(0));
  private times = new Float64Array(new ArrayBuffer(0));
  private filled = 0;
  /** Batch buffers the worker has given back, for the next batches (no allocation per batch). */
  private readonly spare: Array<{ channels: ArrayBuffer; times: ArrayBuffer }> = [];
  private epochPs = 0;
  private timer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff(1000, 30_000);
  private stopped = false;
  private lastDropLogAt = 0;
  private readonly options: CorrelationOptions;
  private settings: LiveSettings;
  private readonly workerUrl: URL;
  private readonly logger: Logger;
  private unsubscribe: (() => void) | undefined;
  private readonly stats: CorrelationStats = {
    running: false,
    tagsCorrelated: 0,
    backlogTags: 0,
    maxBacklogTags: 0,
    droppedTags: 0,
    periods: 0,
    streamRestarts: 0,
    workerRestarts: 0,
  };

  constructor(private readonly deps: CorrelationDeps) {
    this.settings = deps.settings;
    this.workerUrl = deps.workerUrl ?? defaultWorkerUrl();
    this.logger = deps.logger;
    this.options = { ...DEFAULTS, ...deps.options };
    this.allocate();
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.unsubscribe = this.deps.bus.on("tags", ({ source, chunk }) => {
      if (source === this.deps.source) this.push(chunk);
    });
    this.spawn();
    this.timer = setInterval(() => this.flush(), this.options.flushMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearInterval(this.timer);
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.worker = undefined;
    this.stats.running = false;
    if (worker) await worker.terminate();
  }

  /**
   * The correlation section changes live while it reads the same tagger: the worker is replaced
   * by one with the new settings, and the partial integration period under way is dropped (its
   * tags counted in droppedTags). Another tagger needs a restart.
   */
  prepare(next: BenchConfig): PreparedChange | undefined {
    const slice = next.slices.correlation;
    if (!slice || slice.tagger.name !== this.deps.source) return undefined;
    const settings = liveSettingsFrom(slice);
    return { paths: ["correlation"], commit: () => this.restartWith(settings), abort: () => {} };
  }

  private restartWith(settings: LiveSettings): void {
    this.settings = settings;
    const old = this.worker;
    this.worker = undefined;
    if (old) {
      this.stats.droppedTags += this.stats.backlogTags;
      this.logger.warn(
        { droppedTags: this.stats.backlogTags },
        "correlation settings changed: a new worker takes over; the partial period under way is dropped",
      );
      this.stats.backlogTags = 0;
      void old.terminate();
    }
    if (!this.stopped && this.timer) this.spawn();
  }

  getStats(): CorrelationStats {
    return { ...this.stats };
  }

  health(): TelemetryValues {
    const s = this.stats;
    return {
      correlationRunning: s.running,
      correlationTags: s.tagsCorrelated,
      correlationBacklogTags: s.backlogTags,
      correlationMaxBacklogTags: s.maxBacklogTags,
      correlationDroppedTags: s.droppedTags,
      correlationPeriods: s.periods,
    };
  }

  /** A chunk from the time-tag stream, in order. */
  push(chunk: TimeTagChunk): void {
    if (chunk.epochPs !== this.epochPs && this.filled > 0) this.flush();
    this.epochPs = chunk.epochPs;
    let from = 0;
    while (from < chunk.channels.length) {
      const take = Math.min(chunk.channels.length - from, this.channels.length - this.filled);
      this.channels.set(chunk.channels.subarray(from, from + take), this.filled);
      this.times.set(chunk.timesPs.subarray(from, from + take), this.filled);
      this.filled += take;
      from += take;
      if (this.filled === this.channels.length) this.flush();
    }
  }

  /** A batch's arrays: ones the worker gave back, or new. */
  private allocate(): void {
    const reuse = this.spare.pop();
    this.channels = reuse ? new Uint8Array(reuse.channels) : new Uint8Array(this.options.batchTags);
    this.times = reuse ? new Float64Array(reuse.times) : new Float64Array(this.options.batchTags);
    this.filled = 0;
  }

  /** Hands the partial batch to the worker now (the timer does this every `flushMs`). */
  flush(): void {
    const n = this.filled;
    if (n === 0) return;
    const { channels, times } = this;
    const batch: TagBatchMessage = {
      channels: channels.subarray(0, n),
      timesPs: times.subarray(0, n),
      epochPs: this.epochPs,
    };
    this.allocate();
    if (!this.worker || this.stats.backlogTags + n > this.options.maxBacklogTags) {
      this.spare.push({ channels: channels.buffer as ArrayBuffer, times: times.buffer as ArrayBuffer });
      this.stats.droppedTags += n;
      const now = Date.now();
      if (now - this.lastDropLogAt > 10_000) {
        this.lastDropLogAt = now;
        this.logger.error(
          {
            droppedTags: this.stats.droppedTags,
            backlogTags: this.stats.backlogTags,
            workerRunning: !!this.worker,
          },
          "correlation cannot keep up (or its worker is down): time tags dropped from the live measurement",
        );
      }
      return;
    }
    this.stats.backlogTags += n;
    this.stats.maxBacklogTags = Math.max(this.stats.maxBacklogTags, this.stats.backlogTags);
    this.worker.postMessage(batch, [channels.buffer, times.buffer]);
  }

  private workerDownSince: Date | undefined;

  /** `correlation-worker`: raised when the worker dies, cleared when its successor is up. */
  private workerAlarm(active: boolean, message: string): void {
    this.deps.bus.emit("alarm", {
      ts: new Date().toISOString(),
      name: "correlation-worker",
      active,
      severity: "warning",
      message,
      since: (this.workerDownSince ?? new Date()).toISOString(),
    });
  }

  /** Test seam: the worker thread now (a chaos test kills it). */
  get workerThread(): Worker | undefined {
    return this.worker;
  }

  private spawn(): void {
    const worker = new Worker(this.workerUrl, { workerData: this.settings });
    this.worker = worker;
    this.stats.backlogTags = 0;
    worker.on("online", () => {
      this.stats.running = true;
      this.backoff.reset();
      if (this.workerDownSince) this.workerAlarm(false, "the live correlator's worker runs again");
      this.workerDownSince = undefined;
    });
    worker.on("message", (reply: WorkerReply) => {
      if (reply.type === "ack") {
        this.stats.backlogTags -= reply.tags;
        this.stats.tagsCorrelated += reply.tags;
        this.stats.periods = reply.periods;
        if (reply.restarts > this.stats.streamRestarts)
          this.logger.warn(
            { restarts: reply.restarts },
            "the tagger's clock went back (stream restarted): the partial integration period was dropped",
          );
        this.stats.streamRestarts = reply.restarts;
      } else if (reply.type === "buffers") {
        if (this.spare.length < 8 && reply.times.byteLength === this.options.batchTags * 8)
          this.spare.push({ channels: reply.channels, times: reply.times });
      } else
        this.deps.bus.emit("measurement", {
          ts: new Date().toISOString(),
          name: reply.name,
          source: this.deps.source,
          ...reply.payload,
        });
    });
    worker.on("error", (err) => this.logger.error({ err: err.message }, "correlation worker failed"));
    worker.on("exit", (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.stats.running = false;
      if (this.stopped) return;
      const retryMs = this.backoff.next();
      this.stats.workerRestarts++;
      this.logger.error({ code, retryInMs: retryMs }, "correlation worker exited; restarting it");
      this.workerDownSince ??= new Date();
      this.workerAlarm(
        true,
        `the live correlator's worker stopped (exit ${code}); restarting in ${retryMs} ms — tags meanwhile are dropped and counted`,
      );
      this.restartTimer = setTimeout(() => this.spawn(), retryMs);
    });
  }
}

/** The live correlator's worker module. */
export function defaultWorkerUrl(): URL {
  return workerUrl("correlation-worker");
}

/** The live correlator's settings from the bench file's correlation slice. */
export function liveSettingsFrom({ tagger, section: correlation }: CorrelationSlice): LiveSettings {
  const detectors = tagger.detectors;
  const channel = (detector: string) => ({ detector, channel: detectors[detector]! });
  return {
    integrationPs: Math.round(correlation.integrationS * 1e12),
    detectors,
    ...(tagger.syncChannel !== undefined ? { syncChannel: tagger.syncChannel } : {}),
    syncDivider: tagger.syncDivider,
    deadTimePs: Object.fromEntries(Object.entries(correlation.deadTimeNs).map(([d, ns]) => [d, ns * 1000])),
    ...(correlation.setupEfficiency !== undefined ? { setupEfficiency: correlation.setupEfficiency } : {}),
    workers: correlation.workers ?? Math.max(1, availableParallelism() - 1),
    histograms: correlation.histograms.map((h) => ({
      name: h.name,
      a: channel(h.a),
      b: channel(h.b),
      windowPs: Math.round(h.windowNs * 1000),
      binPs: h.binPs,
      periodPs: h.periodPs,
      ...(h.zeroDelayPs !== undefined ? { zeroDelayPs: h.zeroDelayPs } : {}),
      ...(h.backgroundCps ? { backgroundCps: [h.backgroundCps[h.a] ?? 0, h.backgroundCps[h.b] ?? 0] } : {}),
      ...(h.herald ? { herald: h.herald } : {}),
      ...(h.hom ? { hom: h.hom } : {}),
    })),
  };
}
