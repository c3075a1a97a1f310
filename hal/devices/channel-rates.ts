/**
 * A tagger's count rate per named channel between two telemetry reads, over the tagger's own
 * elapsed time (its record times), not the host's clock. Shared by every time-tag source.
 */
import type { TelemetryValues } from "../interfaces.js";

export class ChannelRates {
  private readonly counts = new Map<number, number>();
  private windowStartPs = 0;
  private lastEndPs: number | undefined;

  /** Telemetry name per channel: { 0: "sync", 1: "detectorA", … }. */
  constructor(private readonly channelNames: Record<number, string>) {}

  /** A new stream: its record times count from 0. */
  restart(): void {
    this.counts.clear();
    this.windowStartPs = 0;
    this.lastEndPs = undefined;
  }

  /** Tags on these channels, the stream having reached `endPs` of its own time. */
  add(channels: Uint8Array, endPs: number): void {
    for (const channel of channels) this.counts.set(channel, (this.counts.get(channel) ?? 0) + 1);
    this.lastEndPs = endPs;
  }

  /** The end of the last data, ps (undefined: none since the stream began). */
  get endPs(): number | undefined {
    return this.lastEndPs;
  }

  /**
   * `<name>Cps` per channel and `windowS` since the previous read, and a new window begins; undefined
   * (and the window goes on) when the stream's time has not moved since.
   */
  take(): TelemetryValues | undefined {
    const end = this.lastEndPs;
    if (end === undefined || end <= this.windowStartPs) return undefined;
    const seconds = (end - this.windowStartPs) / 1e12;
    const values: TelemetryValues = {};
    for (const [channel, name] of Object.entries(this.channelNames))
      values[rateName(name)] = Math.round((this.counts.get(Number(channel)) ?? 0) / seconds);
    values.windowS = Number(seconds.toFixed(6));
    this.counts.clear();
    this.windowStartPs = end;
    return values;
  }

  /** As `take`, or 0 cps over a window of 0 s when the stream's time has not moved (a finished file, a quiet unit). */
  takeOrNone(): TelemetryValues {
    return (
      this.take() ?? {
        ...Object.fromEntries(Object.values(this.channelNames).map((name) => [rateName(name), 0])),
        windowS: 0,
      }
    );
  }
}

/**
 * `<detector>Cps`; the sync's is `syncInputCps`: sync tags at the tagger's input, after any
 * divider — the laser's rate is `measurement/rates.syncRateHz` (this × `channels.syncDivider`).
 */
function rateName(channel: string): string {
  return channel === "sync" ? "syncInputCps" : `${channel}Cps`;
}
