/**
 * A quTAG as a live tagger (config `qutag-tagger`) through qutools' tdcbase library (tdcbase.h as
 * published with the quTAG MC/HR software): `TDC_init`, `TDC_enableChannels`, signal conditioning
 * and delays per input, `TDC_setExposureTime`, `TDC_setTimestampBufferSize`, then every `pollMs`
 * `TDC_getLastTimestamps(reset)` — the records since the last read, in ps of the unit's clock, its
 * channels not in time order among themselves. They are put in order by the same reorder buffer the
 * .qutag reader uses, counted from the first record less the reorder window (as `analyze` counts a
 * file), and handed on with an epoch that moves up in multiples of 2^32 ps, so days of clock stay exact.
 *
 * Faults, counted and reported in telemetry `faults` (the `instrument-<name>` alarm): the unit's
 * data-loss flag (`TDC_getDataLost`: tags dropped on the way to the PC), a ring buffer that filled
 * between two reads (tags overwritten), records too late for the reorder window. A missing library,
 * no unit, or a failing call stops the stream with tdcbase's own error text; the supervisor retries.
 */
import { ChannelRates } from "../../hal/devices/channel-rates.js";
import type { TelemetryValues, TimeTagChunk, TimeTagSource } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { NativeCall, NativeLibrary, NativeLibraryLoader } from "../../hal/native.js";
import { ReorderBuffer } from "../correlation/readers/reorder-buffer.js";

export interface QutagSettings {
  library: string;
  deviceId: number;
  bufferSize: number;
  pollMs: number;
  exposureMs: number;
  reorderWindowPs: number;
  inputs: Record<string, { thresholdV: number; edge: "rising" | "falling"; delayPs: number }>;
  /** Telemetry name per channel: { 0: "sync", 1: "detectorA", … }. */
  channelNames: Record<number, string>;
}

const SCOND_MISC = 3;
const TWO_32 = 2 ** 32;

export class QutagError extends Error {
  constructor(fn: string, code: number, text: string) {
    super(`${fn} returned ${code} ${text}`);
    this.name = "QutagError";
  }
}

export class QutagTagger implements TimeTagSource {
  private api: Api | undefined;
  private run: Promise<void> | undefined;
  private stopping = false;
  private fault: Error | undefined;
  private lastAt: number | undefined;
  private readonly rates: ChannelRates;
  private reorder: ReorderBuffer;
  /** The unit's clock at the stream's time 0 (records count from here), ps. */
  private originPs: bigint | undefined;
  private epochPs = 0;
  private readonly recent = new Set<string>();
  /** Configured channels, by number (a lookup per tag). */
  private readonly named = new Uint8Array(256);
  private readonly count = {
    recordsRead: 0,
    dataLosses: 0,
    bufferOverruns: 0,
    lateDropped: 0,
    unknownChannels: 0,
  };

  constructor(
    readonly name: string,
    private readonly settings: QutagSettings,
    private readonly load: NativeLibraryLoader,
    private readonly logger: Logger,
  ) {
    this.rates = new ChannelRates(settings.channelNames);
    this.reorder = new ReorderBuffer(settings.reorderWindowPs);
    for (const ch of Object.keys(settings.channelNames)) this.named[Number(ch)] = 1;
  }

  get lastDataAtMs(): number | undefined {
    return this.lastAt;
  }

  async start(listener: (chunk: TimeTagChunk) => void): Promise<void> {
    if (this.run) return;
    this.stopping = false;
    try {
      this.api ??= declare(await this.load(this.settings.library, "the quTAG library (tdcbase)"));
      await this.open(this.api);
    } catch (err) {
      this.fault = err instanceof Error ? err : new Error(String(err));
      await this.api?.TDC_deInit().catch(() => undefined);
      throw this.fault;
    }
    this.fault = undefined;
    const api = this.api;
    this.run = this.poll(api, listener)
      .catch((err: unknown) => {
        this.fault = err instanceof Error ? err : new Error(String(err));
        this.logger.error({ err: this.fault.message }, "the quTAG stream stopped");
      })
      .finally(() => api.TDC_deInit().catch(() => undefined));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.run;
    this.run = undefined;
  }

  private async check(api: Api, fn: Fn, ...args: unknown[]): Promise<void> {
    const rc = await api[fn](...args);
    if (rc !== 0) throw new QutagError(fn, rc, await api.TDC_perror(rc).catch(() => ""));
  }

  private async open(api: Api): Promise<void> {
    const s = this.settings;
    await this.check(api, "TDC_init", s.deviceId);
    const timebase = [0];
    await this.check(api, "TDC_getTimebase", timebase);
    if (Math.abs(timebase[0]! - 1e-12) > 1e-15)
      throw new Error(
        `the quTAG reports a time base of ${timebase[0]} s; timestamps in ps (1e-12 s) are expected`,
      );
    const channels = Object.keys(s.channelNames).map(Number);
    const mask = channels.reduce((m, ch) => m | (1 << ch), 0);
    await this.check(api, "TDC_enableChannels", 0, mask);
    for (const [channel, input] of Object.entries(s.inputs)) {
      const ch = Number(channel) + 1; // conditioning and delays number the start input 0, stop inputs from 1
      await this.check(
        api,
        "TDC_configureSignalConditioning",
        ch,
        SCOND_MISC,
        input.edge === "rising" ? 1 : 0,
        input.thresholdV,
      );
      await this.check(api, "TDC_setChannelDelay", ch, input.delayPs);
    }
    await this.check(api, "TDC_setExposureTime", s.exposureMs);
    await this.check(api, "TDC_setTimestampBufferSize", s.bufferSize);
    this.reorder = new ReorderBuffer(s.reorderWindowPs);
    this.originPs = undefined;
    this.epochPs = 0;
    this.rates.restart();
    this.lastAt = Date.now();
    this.logger.info({ mask, bufferSize: s.bufferSize }, "quTAG open");
  }

  private async poll(api: Api, listener: (chunk: TimeTagChunk) => void): Promise<void> {
    const size = this.settings.bufferSize;
    const times = new BigInt64Array(size);
    const channels = new Uint8Array(size);
    while (!this.stopping) {
      const valid = [0];
      await this.check(api, "TDC_getLastTimestamps", 1, times, channels, valid);
      const lost = [0];
      await this.check(api, "TDC_getDataLost", lost);
      if (lost[0]) {
        this.count.dataLosses++;
        this.recent.add("data lost: the quTAG dropped time tags on their way to the PC");
      }
      const n = valid[0]!;
      if (n >= size) {
        this.count.bufferOverruns++;
        this.recent.add(`the timestamp buffer (${size}) filled between two reads: tags were overwritten`);
      }
      this.lastAt = Date.now();
      if (n > 0) this.hand(listener, times.subarray(0, n), channels.subarray(0, n));
      if (n < size) await sleep(this.settings.pollMs);
    }
  }

  /**
   * Times from the origin in exact integer steps, read as two 32-bit halves, low first (Linux on
   * x86 and ARM is little-endian; a BigInt per tag cost more than the rest of the path together),
   * put in order, handed on.
   */
  private hand(listener: (chunk: TimeTagChunk) => void, times: BigInt64Array, channels: Uint8Array): void {
    this.count.recordsRead += times.length;
    if (this.originPs === undefined) {
      const window = BigInt(Math.round(this.settings.reorderWindowPs));
      this.originPs = times[0]! > window ? times[0]! - window : 0n;
    }
    const origin = this.originPs;
    const originHi = Number(origin >> 32n);
    const originLo = Number(origin & 0xffffffffn);
    const halves = new Uint32Array(times.buffer, times.byteOffset, times.length * 2);
    const rel = new Float64Array(times.length);
    const chans = new Uint8Array(times.length);
    const named = this.named;
    let kept = 0;
    for (let i = 0; i < times.length; i++) {
      const ch = channels[i]!;
      if (!named[ch]) {
        this.count.unknownChannels++; // a channel not configured (markers are 100 and up)
        continue;
      }
      rel[kept] = (halves[2 * i + 1]! - originHi) * TWO_32 + (halves[2 * i]! - originLo);
      chans[kept++] = ch;
    }
    const droppedBefore = this.reorder.dropped;
    this.reorder.push(rel.subarray(0, kept), chans.subarray(0, kept));
    if (this.reorder.dropped > droppedBefore) {
      this.count.lateDropped += this.reorder.dropped - droppedBefore;
      this.recent.add(
        `records arrived later than the ${this.settings.reorderWindowPs / 1e9} ms reorder window and were dropped`,
      );
    }
    const out = this.reorder.release(false);
    if (out.timesPs.length === 0) return;
    const epochPs = this.epochPs;
    this.rates.add(out.channels, epochPs + out.timesPs[out.timesPs.length - 1]!);
    listener({ channels: out.channels, timesPs: out.timesPs, epochPs });
    // Move the origin up by whole 2^32 ps, so the times held stay small.
    const shift = Math.floor(out.timesPs[out.timesPs.length - 1]! / TWO_32) * TWO_32;
    if (shift > 0) {
      this.originPs = origin + BigInt(shift);
      this.reorder.shift(shift);
      this.epochPs += shift;
    }
  }

  async readTelemetry(): Promise<TelemetryValues> {
    if (this.fault) throw this.fault;
    const values: TelemetryValues = {
      streaming: this.run !== undefined,
      ...this.count,
      reordered: this.reorder.reordered,
    };
    values.faults = [...this.recent];
    this.recent.clear();
    return Object.assign(values, this.rates.takeOrNone());
  }
}

const PROTOTYPES = {
  TDC_init: "int TDC_init(int deviceId)",
  TDC_deInit: "int TDC_deInit()",
  TDC_getTimebase: "int TDC_getTimebase(_Out_ double *timebase)",
  TDC_enableChannels: "int TDC_enableChannels(int enStart, int channelMask)",
  TDC_configureSignalConditioning:
    "int TDC_configureSignalConditioning(int channel, int conditioning, int edge, double threshold)",
  TDC_setChannelDelay: "int TDC_setChannelDelay(int channel, int delay)",
  TDC_setExposureTime: "int TDC_setExposureTime(int expTime)",
  TDC_setTimestampBufferSize: "int TDC_setTimestampBufferSize(int size)",
  TDC_getDataLost: "int TDC_getDataLost(_Out_ int *lost)",
  TDC_getLastTimestamps:
    "int TDC_getLastTimestamps(int reset, _Out_ int64_t *timestamps, _Out_ uint8_t *channels, _Out_ int *valid)",
} as const;
type Fn = keyof typeof PROTOTYPES;
type Api = Record<Fn, NativeCall> & { TDC_perror: NativeCall<string> };

function declare(lib: NativeLibrary): Api {
  const api = Object.fromEntries(
    Object.entries(PROTOTYPES).map(([fn, proto]) => [fn, lib.declare(proto)]),
  ) as Record<Fn, NativeCall>;
  return { ...api, TDC_perror: lib.declare<string>("const char *TDC_perror(int rc)") };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
