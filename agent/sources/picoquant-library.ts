/**
 * The calls the agent makes into a PicoQuant library, declared for one model (picoquant-models.ts):
 * each returns the library's value or throws with the function, the error code and the library's
 * own text for it (`HH_Initialize: -1 HH_ERROR_DEVICE_OPEN_FAIL`).
 */
import type { TriggerConfig } from "../../config/taggers.js";
import { cString, type NativeCall, type NativeLibrary } from "../../hal/native.js";
import { MODE_T2, type PicoQuantFamily } from "./picoquant-models.js";

export class PicoQuantError extends Error {
  constructor(
    readonly fn: string,
    readonly code: number,
    text: string,
  ) {
    super(`${fn} returned ${code}${text ? ` ${text}` : ""}`);
    this.name = "PicoQuantError";
  }
}

export class PicoQuantLibrary {
  private readonly f: Record<string, NativeCall> = {};

  constructor(
    lib: NativeLibrary,
    readonly family: PicoQuantFamily,
  ) {
    const p = family.prefix;
    const trig = family.trigger === "cfd" ? "CFD" : "EdgeTrg";
    const declare = (name: string, args: string) => {
      this.f[name] = lib.declare(`int ${p}${name}(${args})`);
    };
    declare("GetErrorString", "_Out_ char *text, int code");
    declare("OpenDevice", "int dev, _Out_ char *serial");
    declare("CloseDevice", "int dev");
    declare(
      "Initialize",
      family.initTakesRefSource ? "int dev, int mode, int refsource" : "int dev, int mode",
    );
    if (family.calibrate) declare("Calibrate", "int dev");
    declare("SetSyncDiv", "int dev, int div");
    declare(`SetSync${trig}`, "int dev, int level, int second");
    declare("SetSyncChannelOffset", "int dev, int ps");
    declare(`SetInput${trig}`, "int dev, int channel, int level, int second");
    declare("SetInputChannelOffset", "int dev, int channel, int ps");
    declare("GetResolution", "int dev, _Out_ double *ps");
    declare("GetSyncRate", "int dev, _Out_ int *cps");
    declare("GetCountRate", "int dev, int channel, _Out_ int *cps");
    declare("GetFlags", "int dev, _Out_ int *flags");
    declare("GetWarnings", "int dev, _Out_ int *warnings");
    declare("GetWarningsText", "int dev, _Out_ char *text, int warnings");
    declare("StartMeas", "int dev, int ms");
    declare("StopMeas", "int dev");
    declare("CTCStatus", "int dev, _Out_ int *done");
    declare("ReadFiFo", "int dev, _Out_ uint32_t *buffer, int count, _Out_ int *nactual");
  }

  /** Calls `name`; a negative return is an error, described by the library. */
  private async call(name: string, ...args: unknown[]): Promise<number> {
    const code = await this.f[name]!(...args);
    if (code >= 0) return code;
    const text = Buffer.alloc(64);
    await this.f.GetErrorString!(text, code).catch(() => undefined);
    throw new PicoQuantError(`${this.family.prefix}${name}`, code, cString(text));
  }

  private async out<T>(name: string, cell: T, ...args: unknown[]): Promise<T> {
    const box = [cell];
    await this.call(name, ...args, box);
    return box[0]!;
  }

  /** Opens unit `dev` and initialises it in T2 mode with the internal clock; its serial number. */
  async open(dev: number): Promise<string> {
    const serial = Buffer.alloc(16);
    await this.call("OpenDevice", dev, serial);
    if (this.family.initTakesRefSource) await this.call("Initialize", dev, MODE_T2, 0);
    else await this.call("Initialize", dev, MODE_T2);
    if (this.family.calibrate) await this.call("Calibrate", dev);
    return cString(serial);
  }

  close(dev: number): Promise<number> {
    return this.f.CloseDevice!(dev);
  }

  async setSyncDivider(dev: number, divider: number): Promise<void> {
    await this.call("SetSyncDiv", dev, divider);
  }

  /** The sync's (`channel` undefined) or an input's discriminator and delay. */
  async setTrigger(dev: number, channel: number | undefined, t: TriggerConfig): Promise<void> {
    const cfd = this.family.trigger === "cfd";
    const second = cfd ? (t.zeroCrossMv ?? 10) : t.edge === "rising" ? 1 : 0;
    const trig = cfd ? "CFD" : "EdgeTrg";
    if (channel === undefined) {
      await this.call(`SetSync${trig}`, dev, t.levelMv, second);
      await this.call("SetSyncChannelOffset", dev, t.offsetPs);
    } else {
      await this.call(`SetInput${trig}`, dev, channel, t.levelMv, second);
      await this.call("SetInputChannelOffset", dev, channel, t.offsetPs);
    }
  }

  resolutionPs(dev: number): Promise<number> {
    return this.out("GetResolution", 0, dev);
  }

  syncRateCps(dev: number): Promise<number> {
    return this.out("GetSyncRate", 0, dev);
  }

  countRateCps(dev: number, channel: number): Promise<number> {
    return this.out("GetCountRate", 0, dev, channel);
  }

  flags(dev: number): Promise<number> {
    return this.out("GetFlags", 0, dev);
  }

  /** The library's warnings (read after the rates, as its manual asks), as its own text; "" for none. */
  async warnings(dev: number): Promise<string> {
    const bits = await this.out("GetWarnings", 0, dev);
    if (bits === 0) return "";
    const text = Buffer.alloc(16_384);
    await this.call("GetWarningsText", dev, text, bits);
    return cString(text).replace(/\s+/g, " ").trim() || `warnings 0x${bits.toString(16)}`;
  }

  async start(dev: number, ms: number): Promise<void> {
    await this.call("StartMeas", dev, ms);
  }

  async stop(dev: number): Promise<void> {
    await this.call("StopMeas", dev);
  }

  /** True once the acquisition time has run out. */
  async finished(dev: number): Promise<boolean> {
    return (await this.out("CTCStatus", 0, dev)) !== 0;
  }

  /** Records read into `buffer` (at most `buffer.length`). */
  readFifo(dev: number, buffer: Uint32Array): Promise<number> {
    return this.out("ReadFiFo", 0, dev, buffer, buffer.length);
  }
}
