/**
 * A time-tag file played as a live tagger (config `replay-tagger`): for demos, tests, and
 * correlating on the Pi what a PC recorded. The file is read with the same readers as `analyze`
 * (constant memory), and each tag is handed on when its time has come: tagger time runs at
 * `speed` × the monotonic clock from the start. With `loop`, copy k starts at k × `loopEveryS` of
 * tagger time (default: the file's length rounded up to a whole second), so periods of that
 * length each hold one whole copy. Rates in telemetry are counted on the tagger's own time.
 */

import { ChannelRates } from "../../hal/devices/channel-rates.js";
import type { TelemetryValues, TimeTagChunk, TimeTagSource } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { TimeTagFileError } from "../correlation/readers/errors.js";
import { openTimeTagFile } from "../correlation/readers/open.js";
import type { TimeTagFile } from "../correlation/readers/time-tag-file.js";

export interface ReplaySettings {
  file: string;
  speed: number;
  loop: boolean;
  loopEveryS?: number | undefined;
  /** Telemetry name per channel: { 0: "detectorA", … }. */
  channelNames: Record<number, string>;
}

/** How long the player sleeps at most between two hand-overs, ms (the granularity of a live stream). */
const STEP_MS = 10;
const EPOCH_PS = 2 ** 32;

export class ReplayTagger implements TimeTagSource {
  private run: Promise<void> | undefined;
  private stopping = false;
  private lastAt: number | undefined;
  private fault: Error | undefined;
  private finished = false;
  private loops = 0;
  private readonly rates: ChannelRates;

  constructor(
    readonly name: string,
    private readonly settings: ReplaySettings,
    private readonly logger: Logger,
  ) {
    this.rates = new ChannelRates(settings.channelNames);
  }

  get lastDataAtMs(): number | undefined {
    return this.lastAt;
  }

  /** Opens the file (a missing or foreign file rejects here, saying which and why), then plays it. */
  async start(listener: (chunk: TimeTagChunk) => void): Promise<void> {
    if (this.run) return;
    let first: TimeTagFile;
    try {
      first = await openTimeTagFile(this.settings.file);
    } catch (err) {
      this.fault = err instanceof Error ? err : new Error(String(err));
      throw this.fault;
    }
    this.fault = undefined;
    this.stopping = false;
    this.finished = false;
    this.loops = 0;
    this.rates.restart();
    this.lastAt = Date.now();
    this.run = this.play(listener, first).catch((err: unknown) => {
      this.fault = err instanceof Error ? err : new Error(String(err));
      this.logger.error({ file: this.settings.file, err: this.fault.message }, "the replay stopped");
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.run;
    this.run = undefined;
  }

  async readTelemetry(): Promise<TelemetryValues> {
    // A file that failed (at open or midway): the device faults until a restart reads it again.
    if (this.fault) throw this.fault;
    const values: TelemetryValues = {
      streaming: this.run !== undefined && !this.finished,
      finished: this.finished,
      loops: this.loops,
      replayedS: Number(((this.rates.endPs ?? 0) / 1e12).toFixed(3)),
      speed: this.settings.speed,
    };
    return Object.assign(values, this.rates.takeOrNone());
  }

  /** Plays `first` (the file as `start` opened it), then, with `loop`, the file opened again each time. */
  private async play(listener: (chunk: TimeTagChunk) => void, first: TimeTagFile): Promise<void> {
    const { speed, loop } = this.settings;
    const startedAt = performance.now();
    /** Tagger time due now, ps. */
    const dueNowPs = () => (performance.now() - startedAt) * 1e9 * speed;
    let offsetPs = 0;
    let everyPs = this.settings.loopEveryS === undefined ? undefined : this.settings.loopEveryS * 1e12;
    for (;;) {
      const file = this.loops === 0 ? first : await openTimeTagFile(this.settings.file);
      let lastPs = 0;
      for await (const chunk of file.chunks()) {
        const { channels, timesPs } = chunk;
        let i = 0;
        while (i < timesPs.length) {
          if (this.stopping) return;
          const due = dueNowPs() - offsetPs;
          const j = firstAfter(timesPs, due, i);
          if (j > i) {
            this.hand(listener, channels.slice(i, j), timesPs.subarray(i, j), offsetPs);
            i = j;
          } else {
            this.lastAt = Date.now(); // a heartbeat: the source is alive, its next tag not yet due
            await sleep(Math.min(STEP_MS, Math.max(1, (timesPs[i]! - due) / 1e9 / speed)));
          }
        }
        if (timesPs.length > 0) lastPs = timesPs[timesPs.length - 1]!;
      }
      if (!loop) break;
      everyPs ??= (Math.floor(lastPs / 1e12) + 1) * 1e12; // the next whole second after the last tag
      if (lastPs >= everyPs)
        throw new TimeTagFileError(
          this.settings.file,
          `runs ${(lastPs / 1e12).toFixed(3)} s, longer than loopEveryS ${everyPs / 1e12} s`,
        );
      offsetPs += everyPs;
      this.loops++;
    }
    this.finished = true;
    this.logger.info({ file: this.settings.file }, "the replay reached the end of the file");
    while (!this.stopping) {
      this.lastAt = Date.now(); // finished, not dead: the stream is not restarted
      await sleep(STEP_MS * 10);
    }
  }

  /** Hands on tags [i, j) of a chunk at tagger time offset + t, with the epoch a multiple of 2^32 ps. */
  private hand(
    listener: (chunk: TimeTagChunk) => void,
    channels: Uint8Array,
    timesPs: Float64Array,
    offsetPs: number,
  ): void {
    const epochPs = Math.floor(offsetPs / EPOCH_PS) * EPOCH_PS;
    const shift = offsetPs - epochPs;
    const times = new Float64Array(timesPs.length);
    for (let k = 0; k < times.length; k++) times[k] = timesPs[k]! + shift;
    this.rates.add(channels, offsetPs + timesPs[timesPs.length - 1]!);
    this.lastAt = Date.now();
    listener({ channels, timesPs: times, epochPs });
  }
}

/** The index of the first time above `t` at or after `from` (times ascending). */
function firstAfter(times: Float64Array, t: number, from: number): number {
  let lo = from;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
