/**
 * The time-tagger on the simulated bench: answers `*IDN?`, and after `STREAM ON` sends one frame
 * per `framePeriodS` of simulated time (split when it would exceed the frame's record limit),
 * empty frames included, until `STREAM OFF`. Tags come from the bench's photon model.
 */
import { encodeFrame, FRAME_MAX_RECORDS } from "../../hal/devices/tagger-frames.js";
import type { SimBench } from "../bench.js";
import type { LineInstrument } from "../serial-twin.js";

export class TaggerTwin implements LineInstrument {
  private send: ((bytes: Uint8Array) => void) | undefined;
  private unwatch: (() => void) | undefined;
  private frameEndS = 0;
  private sequence = 0;

  constructor(
    private readonly bench: SimBench,
    private readonly syncChannel: number | undefined,
    private readonly syncDivider = 1,
  ) {}

  attach(send: (bytes: Uint8Array) => void): void {
    this.send = send;
  }

  detach(): void {
    this.stopStream();
    this.send = undefined;
  }

  handle(line: string): string | undefined {
    switch (line.trim().toUpperCase()) {
      case "*IDN?":
        return this.unwatch ? undefined : "photon-bench,SIM-TAGGER,0001,1.0";
      case "STREAM ON":
        if (!this.unwatch) {
          // The stream's clock starts now: record times count from here.
          const originS = this.bench.timeS;
          this.frameEndS = 0;
          this.unwatch = this.bench.onChange(() => this.pump(originS));
        }
        return undefined;
      case "STREAM OFF":
        this.stopStream();
        return undefined;
      default:
        return undefined;
    }
  }

  private stopStream(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private pump(originS: number): void {
    const period = this.bench.config.sim.tagger.framePeriodS;
    const nowS = this.bench.timeS - originS;
    while (this.frameEndS + period <= nowS + 1e-12) {
      const t0 = this.frameEndS;
      const t1 = t0 + period;
      const batch = this.bench.tags(originS + t0, originS + t1, this.syncChannel, this.syncDivider);
      // The generator counts from the bench's start; the stream counts from its own.
      const offsetPs = Math.round(originS * 1e12);
      const n = batch.channels.length;
      for (let start = 0; start < n || start === 0; start += FRAME_MAX_RECORDS) {
        const end = Math.min(n, start + FRAME_MAX_RECORDS);
        const timesPs = batch.timesPs.slice(start, end).map((t) => t - offsetPs);
        const last = end === n;
        this.send?.(
          encodeFrame({
            sequence: this.sequence++ >>> 0,
            overflow: false,
            epochPs: 0, // the generator's own times are float64 ps from the bench's start
            endTimePs: last ? Math.round((originS + t1) * 1e12) - offsetPs : timesPs[timesPs.length - 1]! + 1,
            channels: batch.channels.slice(start, end),
            timesPs,
          }),
        );
        if (last) break;
      }
      this.frameEndS = t1;
    }
  }
}
