/**
 * What the web view shows, kept from the event bus: the latest of each thing (a device's reading,
 * an alarm, an incident, a measurement, the run), short time series for the plots, and the
 * aligner's scan map and tracking trail. Changes wait in `pending`, one entry per key, until the
 * hub sends them (agent/web/sse-hub.ts): a value that changes 100 times between two frames goes
 * out once, so nothing queues up however fast the bench talks.
 *
 * It listens from construction, before any service starts, so a page opened later still sees what
 * happened at start-up (a latched interlock's alarm, the run restored from disk).
 */
import type { BenchConfig } from "../../config/schema.js";
import { stageTypes } from "../../config/stages.js";
import type { WebConfig } from "../../config/web.js";
import type { Logger } from "../../hal/logger.js";
import type { AlignmentSampleEvent, EventBus } from "../events.js";
import { numericLeaves } from "../metrics/exposition.js";
import { HistoryGroup, type HistoryPoint } from "./history.js";
import { type ScanMap, ScanTracker } from "./scan.js";
import { type WebSetup, webSetup } from "./setup.js";

/** Device types whose readings are kept as time series: cryostat, compressor, taggers' count rates, stages (drift). */
const SERIES_TYPES = new RegExp(`^(lakeshore336|sumitomo-f70|.*-tagger|${stageTypes.join("|")})$`);
/** Points a page gets per series when it opens. */
export const HISTORY_POINTS = 900;
/** Recent control-plane requests the page lists (the debug view's "recent errors"). */
const AUDIT_KEPT = 20;
/** Modes in the order the page plots them (`alignment.modeIndex`). */
export const ALIGNMENT_MODES = ["idle", "search", "peak", "track", "reacquire", "blocked"] as const;
/** Keys a page is sent (an active alarm, an open incident …) at most; beyond, the oldest go. */
const MAX_KEYS = 2000;

export interface Frame {
  /** Latest values by key (`telemetry/cryostat`, `alarm/door`); null: gone (a cleared alarm). */
  latest: Record<string, unknown>;
  history: Record<string, HistoryPoint[]>;
  scan?: ScanMap["delta"];
}

export interface LiveFeedDeps {
  bus: EventBus;
  settings: WebConfig;
  /** The configuration in force (soft limits, saturation, rule names for the page). */
  current: () => BenchConfig;
  backend: () => string;
  logger: Logger;
}

export class LiveFeed {
  private readonly latest = new Map<string, unknown>();
  private readonly groups = new Map<string, HistoryGroup>();
  private readonly scan = new ScanTracker();
  private pending: Frame = { latest: {}, history: {} };
  private dirty = false;
  private readonly audit: unknown[] = [];
  private readonly off: Array<() => void> = [];
  /** `keysDropped`: the oldest values forgotten beyond MAX_KEYS; `seriesRefused`: series beyond MAX_KEYS not kept. */
  readonly counts = { keysDropped: 0, seriesRefused: 0 };

  constructor(private readonly deps: LiveFeedDeps) {
    const { bus } = deps;
    const types = () => deps.current().devices;
    this.off.push(
      bus.on("status", (s) => this.set("status", s)),
      bus.on("telemetry", (t) => {
        this.set(`telemetry/${t.device}`, t);
        const type = types()[t.device]?.type;
        if (t.state === "ok" && type && SERIES_TYPES.test(type))
          this.record(
            `telemetry/${t.device}`,
            Date.parse(t.ts) / 1000,
            Object.fromEntries(numericLeaves(t.values)),
            this.spacingS(),
          );
      }),
      bus.on("alarm", (a) => this.set(`alarm/${a.name}`, a.active ? a : null)),
      bus.on("incident", (i) => this.set(`incident/${i.id}`, i.state === "resolved" ? null : i)),
      bus.on("measurement", (m) => {
        this.set(`measurement/${m.name}`, m);
        const g2 = m.g2 as { g2Zero?: unknown; g2ZeroError?: unknown } | undefined;
        if (typeof g2?.g2Zero === "number" && typeof g2.g2ZeroError === "number")
          this.record(
            `measurement/${m.name}`,
            Date.parse(m.ts) / 1000,
            { g2Zero: g2.g2Zero, g2ZeroError: g2.g2ZeroError },
            0,
          );
      }),
      bus.on("alignment", (a) => {
        this.set("alignment", a);
        const modeIndex = ALIGNMENT_MODES.indexOf(a.mode);
        const signal = a.signalMw ?? a.signalCps;
        this.record(
          "alignment",
          Date.parse(a.ts) / 1000,
          { fractionOfPeak: a.fractionOfPeak, modeIndex, ...(signal !== undefined ? { signal } : {}) },
          0,
        );
      }),
      bus.on("alignmentSample", (s) => this.onSample(s)),
      bus.on("run", (r) => this.set("run", r)),
      bus.on("sli", (s) => this.set(`sli/${s.name}`, s)),
      bus.on("gameday", (g) => this.set("gameday", g)),
      bus.on("audit", (a) => {
        this.audit.push(a);
        if (this.audit.length > AUDIT_KEPT) this.audit.shift();
        this.set("audit", [...this.audit]);
      }),
    );
  }

  close(): void {
    for (const off of this.off.splice(0)) off();
  }

  /** Everything a page needs when it opens (or after it fell behind). */
  snapshot(): {
    setup: WebSetup;
    latest: Record<string, unknown>;
    history: Record<string, unknown>;
    scan: ScanMap["full"];
  } {
    return {
      setup: webSetup(this.deps.current(), this.deps.backend(), this.deps.settings),
      latest: Object.fromEntries(this.latest),
      history: Object.fromEntries([...this.groups].map(([k, g]) => [k, g.toJSON()])),
      scan: this.scan.full(),
    };
  }

  /** The changes since the last call, or undefined when nothing changed. */
  takeFrame(): Frame | undefined {
    const scan = this.scan.takeDelta();
    if (!this.dirty && !scan) return undefined;
    const frame = scan ? { ...this.pending, scan } : this.pending;
    this.pending = { latest: {}, history: {} };
    this.dirty = false;
    return frame;
  }

  private set(key: string, value: unknown): void {
    if (value === null) this.latest.delete(key);
    else {
      this.latest.delete(key); // re-inserted last: the oldest key is the first to go
      this.latest.set(key, value);
      if (this.latest.size > MAX_KEYS) {
        const oldest = this.latest.keys().next().value!;
        this.latest.delete(oldest);
        if (this.counts.keysDropped++ % 1000 === 0)
          this.deps.logger.warn(
            { forgotten: oldest, total: this.counts.keysDropped },
            `web: more than ${MAX_KEYS} values to show; the oldest are forgotten (webValuesForgotten)`,
          );
      }
    }
    this.pending.latest[key] = value;
    this.dirty = true;
  }

  private record(group: string, tS: number, values: Record<string, number>, spacingS: number): void {
    let g = this.groups.get(group);
    if (!g) {
      if (this.groups.size >= MAX_KEYS) {
        if (this.counts.seriesRefused++ % 1000 === 0)
          this.deps.logger.warn(
            { series: group },
            `web: more than ${MAX_KEYS} time series; ${group} is not kept (webSeriesRefused)`,
          );
        return;
      }
      g = new HistoryGroup(HISTORY_POINTS, spacingS);
      this.groups.set(group, g);
    }
    if (!g.push(tS, values)) return;
    const points = this.pending.history[group] ?? [];
    // A frame holds at most what a page keeps; older points in it would be dropped there anyway.
    if (points.length >= HISTORY_POINTS) points.shift();
    points.push([tS, values]);
    this.pending.history[group] = points;
    this.dirty = true;
  }

  private onSample(s: AlignmentSampleEvent): void {
    this.scan.add(s, Date.now() / 1000);
  }

  /** Telemetry is kept every `historyS / HISTORY_POINTS` s (2 s for half an hour). */
  private spacingS(): number {
    return this.deps.settings.historyS / HISTORY_POINTS;
  }
}
