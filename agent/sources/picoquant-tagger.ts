/**
 * A PicoQuant TCSPC unit (HydraHarp 400, MultiHarp 150/160, TimeHarp 260) as a live tagger (config
 * `picoquant-tagger`), in T2 mode through the vendor's C library. Its FIFO is read every `pollMs`
 * (at once again after a full read) and the records decoded by the PTU decoder `analyze` uses, so a
 * live stream and the file it would have written give the same tags.
 *
 * Faults, each counted and reported in telemetry `faults` (an `instrument-<name>` alarm):
 * - FIFO overrun: records were lost; the measurement is restarted (the tagger's time starts again,
 *   which the correlator takes as a new stream) and `fifoOverruns` counts it;
 * - sync lost, a system error: flags while the unit raises them (`syncLosses` counts the onsets);
 * - the library's warnings (input rate too high, sync rate zero…), in its own words.
 * A library that is missing, a unit that does not open, or a call that fails stops the stream
 * with the library's error; the supervisor (services/time-tags.ts) retries with backoff.
 */
import type { TriggerConfig } from "../../config/taggers.js";
import { ChannelRates } from "../../hal/devices/channel-rates.js";
import type { TelemetryValues, TimeTagChunk, TimeTagSource } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { NativeLibraryLoader } from "../../hal/native.js";
import { PtuDecoder } from "../correlation/readers/ptu-records.js";
import { RECORD_TYPES } from "../correlation/readers/record-types.js";
import { PicoQuantLibrary } from "./picoquant-library.js";
import {
  ACQ_MAX_MS,
  FLAG_FIFOFULL,
  FLAG_SYNC_LOST,
  FLAG_SYSERROR,
  PICOQUANT_FAMILIES,
  type PicoQuantModel,
} from "./picoquant-models.js";

export interface PicoQuantSettings {
  model: PicoQuantModel;
  library: string;
  deviceIndex: number;
  pollMs: number;
  syncDivider: number;
  /** Discriminators by "sync" or input number; unset ones get the model's default. */
  triggers: Record<string, TriggerConfig>;
  /** Telemetry name per channel: { 64: "sync", 0: "detectorA", … }. */
  channelNames: Record<number, string>;
}

const SYNC = 64;

export class PicoQuantTagger implements TimeTagSource {
  private lib: PicoQuantLibrary | undefined;
  private run: Promise<void> | undefined;
  private stopping = false;
  private fault: Error | undefined;
  private lastAt: number | undefined;
  private readonly rates: ChannelRates;
  private decoder: PtuDecoder | undefined;
  private unitPs = 1;
  private epochPs = 0;
  private flagsNow = 0;
  private serial = "";
  /** Faults since the last telemetry read (an overrun is over by then, but must be seen). */
  private readonly recent = new Set<string>();
  private readonly count = { recordsRead: 0, fifoOverruns: 0, syncLosses: 0, streamRestarts: 0 };

  constructor(
    readonly name: string,
    private readonly settings: PicoQuantSettings,
    private readonly load: NativeLibraryLoader,
    private readonly logger: Logger,
  ) {
    this.rates = new ChannelRates(settings.channelNames);
  }

  get lastDataAtMs(): number | undefined {
    return this.lastAt;
  }

  private get dev(): number {
    return this.settings.deviceIndex;
  }

  async start(listener: (chunk: TimeTagChunk) => void): Promise<void> {
    if (this.run) return;
    this.stopping = false;
    try {
      await this.open();
      await this.begin();
    } catch (err) {
      this.fault = err instanceof Error ? err : new Error(String(err));
      await this.lib?.close(this.dev).catch(() => undefined);
      throw this.fault;
    }
    this.fault = undefined;
    this.run = this.poll(listener)
      .catch((err: unknown) => {
        this.fault = err instanceof Error ? err : new Error(String(err));
        this.logger.error({ err: this.fault.message }, "the PicoQuant stream stopped");
      })
      .finally(() => this.lib?.close(this.dev).catch(() => undefined));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.run;
    this.run = undefined;
  }

  /** Loads the library (once), opens and sets up the unit. */
  private async open(): Promise<void> {
    const { model, library, syncDivider, triggers } = this.settings;
    const family = PICOQUANT_FAMILIES[model];
    this.lib ??= new PicoQuantLibrary(await this.load(library, `the ${model} library`), family);
    this.serial = await this.lib.open(this.dev);
    await this.lib.setSyncDivider(this.dev, syncDivider);
    const fallback: TriggerConfig =
      family.trigger === "cfd"
        ? { levelMv: 50, zeroCrossMv: 10, offsetPs: 0 }
        : { levelMv: -50, edge: "falling", offsetPs: 0 };
    if (Object.values(this.settings.channelNames).includes("sync") || triggers.sync)
      await this.lib.setTrigger(this.dev, undefined, triggers.sync ?? fallback);
    for (const channel of Object.keys(this.settings.channelNames).map(Number))
      if (channel !== SYNC)
        await this.lib.setTrigger(this.dev, channel, triggers[String(channel)] ?? fallback);
    const resolutionPs = await this.lib.resolutionPs(this.dev);
    this.unitPs = Math.round(resolutionPs);
    if (Math.abs(resolutionPs - this.unitPs) > 1e-6 || this.unitPs < 1)
      throw new Error(`${model} reports a T2 resolution of ${resolutionPs} ps, not a whole number of ps`);
    this.logger.info({ serial: this.serial, resolutionPs: this.unitPs }, `${model} open`);
  }

  /** Starts a measurement: a new stream, its time from 0. */
  private async begin(): Promise<void> {
    const type = RECORD_TYPES.get(PICOQUANT_FAMILIES[this.settings.model].t2RecordType)!;
    this.decoder = new PtuDecoder(type, this.unitPs);
    this.epochPs = 0;
    this.rates.restart();
    await this.lib!.start(this.dev, ACQ_MAX_MS);
    this.lastAt = Date.now();
  }

  private async restart(why: string): Promise<void> {
    this.count.streamRestarts++;
    await this.lib!.stop(this.dev);
    await this.begin();
    this.logger.warn({ why }, "PicoQuant measurement restarted");
  }

  private async poll(listener: (chunk: TimeTagChunk) => void): Promise<void> {
    const lib = this.lib!;
    const buffer = new Uint32Array(PICOQUANT_FAMILIES[this.settings.model].readMax);
    while (!this.stopping) {
      const flags = await lib.flags(this.dev);
      if (flags & FLAG_SYNC_LOST && !(this.flagsNow & FLAG_SYNC_LOST)) this.count.syncLosses++;
      this.flagsNow = flags;
      if (flags & FLAG_FIFOFULL) {
        this.count.fifoOverruns++;
        this.recent.add("FIFO overrun: records were lost, the measurement restarted");
        await this.restart("FIFO overrun");
        await sleep(this.settings.pollMs); // a unit that overruns at once again is not hammered
        continue;
      }
      const n = await lib.readFifo(this.dev, buffer);
      this.lastAt = Date.now();
      if (n > 0) this.hand(listener, buffer.subarray(0, n));
      else if (await lib.finished(this.dev)) await this.restart("the acquisition time ran out");
      if (n < buffer.length) await sleep(this.settings.pollMs);
    }
    await lib.stop(this.dev);
  }

  private hand(listener: (chunk: TimeTagChunk) => void, records: Uint32Array): void {
    const decoder = this.decoder!;
    this.count.recordsRead += records.length;
    const { channels, timesPs } = decoder.decode(records);
    const epochPs = this.epochPs;
    this.epochPs += decoder.takeEpochPs();
    if (channels.length === 0) return;
    this.rates.add(channels, epochPs + timesPs[timesPs.length - 1]!);
    // The decoder's arrays are reused by its next chunk: the listener gets copies.
    listener({ channels: channels.slice(), timesPs: timesPs.slice(), epochPs });
  }

  async readTelemetry(): Promise<TelemetryValues> {
    if (this.fault) throw this.fault;
    const values: TelemetryValues = {
      streaming: this.run !== undefined,
      model: this.settings.model,
      serialNumber: this.serial,
      resolutionPs: this.unitPs,
      ...this.count,
    };
    const faults = [...this.recent];
    this.recent.clear();
    if (this.flagsNow & FLAG_SYNC_LOST) faults.push("sync lost");
    if (this.flagsNow & FLAG_SYSERROR)
      faults.push("system error (the library's FLAG_SYSERROR: contact PicoQuant)");
    if (this.run && this.lib) {
      values.unitSyncRateCps = await this.lib.syncRateCps(this.dev); // as the unit counts its sync input
      for (const channel of Object.keys(this.settings.channelNames).map(Number))
        if (channel !== SYNC) await this.lib.countRateCps(this.dev, channel);
      const warnings = await this.lib.warnings(this.dev);
      if (warnings) faults.push(warnings);
    }
    values.faults = faults;
    return Object.assign(values, this.rates.takeOrNone());
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
