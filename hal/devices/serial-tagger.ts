/**
 * A time-tagger that streams framed (channel, time) records over a serial/USB link
 * (frame format: ./tagger-frames.ts). Text commands, CR LF terminated:
 *   `*IDN?`       → identification line (only while not streaming)
 *   `STREAM ON`   → no text reply: frames start at once, an empty heartbeat frame at least every
 *                   100 ms, so a silent link is a dead tagger
 *   `STREAM OFF`  → frames stop
 * Rates in telemetry are counted between two reads and divided by the tagger's own elapsed time
 * (frame end times), not the host's clock.
 */
import { DeviceTimeout, ProtocolError, showReply } from "../errors.js";
import type { SerialLink, TelemetryValues, TimeTagChunk, TimeTagSource } from "../interfaces.js";
import type { Logger } from "../logger.js";
import { ChannelRates } from "./channel-rates.js";
import { type DecoderCounters, TagFrameDecoder } from "./tagger-frames.js";

export interface SerialTaggerSettings {
  /** Telemetry name per input channel: { 0: "sync", 1: "detectorA", … }. */
  channelNames: Record<number, string>;
  /** How long `start` waits for the first frame. */
  firstFrameTimeoutMs: number;
}

const QUIET_AFTER_STOP_MS = 50;
const MAX_STOP_WAIT_MS = 500;

export class SerialTagger implements TimeTagSource {
  private decoder = new TagFrameDecoder();
  private unlisten: (() => void) | undefined;
  private readonly rates: ChannelRates;
  private lastByteAt = 0;
  private lastFrameAt: number | undefined;
  private reported: DecoderCounters = { ...this.decoder.counters };

  constructor(
    readonly name: string,
    private readonly link: SerialLink,
    private readonly settings: SerialTaggerSettings,
    private readonly logger: Logger,
  ) {
    this.rates = new ChannelRates(settings.channelNames);
  }

  get streaming(): boolean {
    return this.unlisten !== undefined;
  }

  get lastDataAtMs(): number | undefined {
    return this.lastFrameAt;
  }

  get counters(): Readonly<DecoderCounters> {
    return this.decoder.counters;
  }

  async identify(): Promise<string> {
    if (this.streaming)
      throw new ProtocolError("cannot identify while streaming", { device: this.name, command: "*IDN?" });
    return (await this.link.query("*IDN?")).trim();
  }

  async start(listener: (chunk: TimeTagChunk) => void): Promise<void> {
    if (this.streaming) return;
    this.decoder = new TagFrameDecoder();
    this.reported = { ...this.decoder.counters };
    this.rates.restart(); // record times count from the stream's start
    let firstFrame: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      firstFrame = resolve;
    });
    this.unlisten = this.link.onData((bytes) => {
      this.lastByteAt = Date.now();
      for (const frame of this.decoder.push(bytes)) {
        firstFrame();
        this.lastFrameAt = Date.now();
        this.rates.add(frame.channels, frame.epochPs + frame.endTimePs); // for rates: ps precision not needed
        if (frame.channels.length > 0)
          listener({ channels: frame.channels, timesPs: frame.timesPs, epochPs: frame.epochPs });
      }
      this.logDecoderProblems();
    });
    await this.link.write("STREAM ON\r\n");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DeviceTimeout(`no frame within ${this.settings.firstFrameTimeoutMs} ms of STREAM ON`, {
              device: this.name,
              command: "STREAM ON",
            }),
          ),
        this.settings.firstFrameTimeoutMs,
      );
    });
    try {
      await Promise.race([started, timeout]);
    } catch (err) {
      this.unlisten?.();
      this.unlisten = undefined;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (!this.unlisten) return;
    if (!this.link.closed) {
      await this.link.write("STREAM OFF\r\n").catch(() => undefined);
      // Frames already on the wire still belong to us: listen until the line goes quiet.
      const deadline = Date.now() + MAX_STOP_WAIT_MS;
      this.lastByteAt = Date.now();
      while (Date.now() - this.lastByteAt < QUIET_AFTER_STOP_MS && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
    }
    this.unlisten();
    this.unlisten = undefined;
  }

  private logDecoderProblems(): void {
    const now = this.decoder.counters;
    const was = this.reported;
    if (
      now.badFrames > was.badFrames ||
      now.lostFrames > was.lostFrames ||
      now.overflowFrames > was.overflowFrames
    )
      this.logger.warn(
        { device: this.name, ...now },
        `time-tag stream: ${now.badFrames - was.badFrames} bad, ${now.lostFrames - was.lostFrames} lost, ` +
          `${now.overflowFrames - was.overflowFrames} overflow frames`,
      );
    this.reported = { ...now };
  }

  /** Count rates per named channel since the previous read, over the tagger's own elapsed time. */
  async readTelemetry(): Promise<TelemetryValues> {
    const values: TelemetryValues = { streaming: this.streaming };
    const c = this.decoder.counters;
    Object.assign(values, {
      badFrames: c.badFrames,
      lostFrames: c.lostFrames,
      overflowFrames: c.overflowFrames,
    });
    if (!this.streaming) return values;
    const rates = this.rates.take();
    if (!rates)
      throw new DeviceTimeout("no time-tag frames since the last read", {
        device: this.name,
        command: "STREAM ON",
        reply: showReply(`last frame end ${this.rates.endPs ?? "none"} ps`),
      });
    return Object.assign(values, rates);
  }
}
