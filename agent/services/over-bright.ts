/**
 * Detectors flooded with light (room light down an open fibre, a filter removed, the laser
 * straight in): a Si SPAD is damaged by it and an SNSPD heats and latches. Each detector's count
 * rate is taken from the time tags themselves, over every 100 ms of the tagger's own time; above
 * `safety.detectorMaxCps` its bias goes to zero and readout off at once, and the critical alarm
 * `over-bright-<detector>` stays raised until someone switches the bias on again
 * (`detector/bias` with `on: true`: if the light is still there, it trips again 100 ms later).
 */
import type { Detector } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import type { Service } from "../service.js";
import { describeFault } from "./telemetry.js";

/** The span of tag time each rate is taken over, ps. */
const WINDOW_PS = 100e9;

interface Watched {
  detector: string;
  channel: number;
}

export interface OverBrightDeps {
  /** Per tagger: its detectors' channels (`channels.detectors` of the tagger device). */
  channels: ReadonlyMap<string, Readonly<Record<string, number>>>;
  detectors: ReadonlyMap<string, Detector>;
  maxCps: () => number;
  bus: EventBus;
  logger: Logger;
  now?: () => number;
}

export class OverBrightGuard implements Service {
  readonly name = "over-bright";
  private readonly sources = new Map<
    string,
    { watched: Watched[]; counts: Float64Array; windowStartPs: number | undefined }
  >();
  /** Detectors tripped, and when. */
  private readonly tripped = new Map<string, Date>();
  private trips = 0;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly now: () => number;

  constructor(private readonly deps: OverBrightDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The detectors are read here: they are built by the time this service starts. */
  async start(): Promise<void> {
    for (const [source, byDetector] of this.deps.channels) {
      const watched = Object.entries(byDetector)
        .filter(([detector]) => this.deps.detectors.has(detector))
        .map(([detector, channel]) => ({ detector, channel }));
      // Counted per channel (a channel is a byte): one increment per tag, whatever is watched.
      if (watched.length > 0)
        this.sources.set(source, { watched, counts: new Float64Array(256), windowStartPs: undefined });
    }
    if (this.sources.size === 0) return;
    this.unsubscribe.push(
      this.deps.bus.on("tags", ({ source, chunk }) => {
        const state = this.sources.get(source);
        const n = chunk.timesPs.length;
        if (!state || n === 0) return;
        const { counts } = state;
        state.windowStartPs ??= chunk.epochPs + chunk.timesPs[0]!;
        for (let i = 0; i < n; i++) counts[chunk.channels[i]!]!++;
        const spanPs = chunk.epochPs + chunk.timesPs[n - 1]! - state.windowStartPs;
        if (spanPs < WINDOW_PS) return;
        for (const w of state.watched) this.check(w, counts[w.channel]! / (spanPs * 1e-12), spanPs);
        counts.fill(0);
        state.windowStartPs = undefined;
      }),
      this.deps.bus.on("audit", (event) => {
        const request = event.request as { device?: unknown; on?: unknown } | undefined;
        if (event.verb !== "detector/bias" || event.status !== "ok" || request?.on !== true) return;
        const name = String(request.device);
        if (this.tripped.delete(name)) this.alarm(name, false, `bias switched on again (${event.via})`);
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  health() {
    return { overBrightTrips: this.trips };
  }

  private check(w: Watched, cps: number, spanPs: number): void {
    const maxCps = this.deps.maxCps();
    if (cps <= maxCps || this.tripped.has(w.detector)) return;
    this.trips++;
    this.tripped.set(w.detector, new Date(this.now()));
    const message = `${w.detector} counted ${(cps / 1e6).toFixed(2)} Mcps over ${(spanPs * 1e-12).toFixed(2)} s, above safety.detectorMaxCps ${(maxCps / 1e6).toFixed(2)} Mcps: bias off until switched on again`;
    this.deps.logger.error({ detector: w.detector, cps, maxCps }, message);
    this.alarm(w.detector, true, message);
    this.deps.detectors
      .get(w.detector)
      ?.makeSafe()
      .catch((err: unknown) =>
        this.deps.logger.error(
          { detector: w.detector, ...describeFault(err) },
          "could not switch the over-bright detector's bias off",
        ),
      );
  }

  private alarm(detector: string, active: boolean, message: string): void {
    const since = this.tripped.get(detector);
    this.deps.bus.emit("alarm", {
      ts: new Date(this.now()).toISOString(),
      name: `over-bright-${detector}`,
      active,
      severity: "critical",
      message,
      ...(active && since ? { since: since.toISOString() } : {}),
    });
  }
}
