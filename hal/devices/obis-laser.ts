/**
 * Coherent OBIS-class laser: SCPI text over USB-serial (115200 8N1, CR LF). With handshaking on
 * (the factory default, `SYST:COMM:HAND ON`) every command is answered by `OK`, and a query by its
 * value line followed by `OK`; a refused command answers `ERR-nnn` (operator's manual, ch. 7).
 * Power is set and read in watts on the wire, in mW here.
 *
 * The remote interlock is a GPIO output: high (logical on) permits emission. Dropping it needs no
 * serial round trip, so the safe state is reached even when the laser's serial link is wedged.
 */
import type {
  GpioLine,
  Laser,
  LaserFaults,
  ReplyReader,
  RequestOptions,
  SerialLink,
  SharedLine,
  TelemetryValues,
} from "../interfaces.js";
import { bad, parseChoice, parseDecimal, parseInteger, type ReplyContext } from "./reply.js";

/** SYST:FAUL? bits (OBIS operator's manual, fault code table). */
export const OBIS_FAULT_BITS: ReadonlyArray<[number, string]> = [
  [0, "base plate temperature"],
  [1, "diode temperature"],
  [2, "internal temperature"],
  [3, "laser power supply"],
  [4, "I2C error"],
  [5, "over current"],
  [6, "laser checksum"],
  [8, "buffer overflow"],
  [9, "warm-up limit"],
  [10, "TEC driver"],
  [12, "diode temperature limit"],
  [13, "laser ready (not locked)"],
  [14, "photodiode"],
  [15, "fatal"],
  [16, "startup"],
  [17, "watchdog reset"],
  [30, "over power"],
];

export function describeObisFaults(code: number): string[] {
  return OBIS_FAULT_BITS.filter(([bit]) => Math.floor(code / 2 ** bit) % 2 === 1).map(([, what]) => what);
}

type ObisReply = { ok: true; lines: string[] } | { ok: false; error: string; lines: string[] };

/** Reads CR LF lines until `OK` or `ERR-nnn`. */
export const obisReader: ReplyReader<ObisReply> = (received) => {
  const text = Buffer.from(received).toString("latin1");
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf("\r\n", start);
    if (end < 0) return undefined;
    const line = text.slice(start, end).trim();
    start = end + 2;
    if (line === "") continue;
    if (line === "OK") return { value: { ok: true, lines }, consumed: start };
    if (/^ERR/.test(line)) return { value: { ok: false, error: line, lines }, consumed: start };
    lines.push(line);
  }
};

export interface ObisLaserSettings {
  /** The bench's safety limit; requests above it are refused before anything is sent. */
  maxPowerMw: number;
}

export class ObisLaser implements Laser {
  constructor(
    readonly name: string,
    private readonly link: SerialLink,
    private readonly interlockLine: GpioLine,
    private readonly settings: ObisLaserSettings,
  ) {}

  private ctx(command: string): ReplyContext {
    return { device: this.name, command };
  }

  /** Sends one command or query; resolves with the value line of a query, "" for a command. */
  private async exchange(command: string, options?: RequestOptions): Promise<string> {
    const reply = await this.link.request(`${command}\r\n`, obisReader, options);
    if (!reply.ok) throw bad(this.ctx(command), reply.error, "refused");
    const expected = command.endsWith("?") ? 1 : 0;
    if (reply.lines.length !== expected)
      throw bad(this.ctx(command), reply.lines.join("|"), `expected ${expected} value line(s) before OK`);
    return reply.lines[0] ?? "";
  }

  async identify(): Promise<string> {
    const id = await this.exchange("*IDN?");
    if (!/OBIS/i.test(id)) throw bad(this.ctx("*IDN?"), id, "not an OBIS identification");
    return id;
  }

  async setEmission(on: boolean, options?: RequestOptions): Promise<void> {
    await this.exchange(`SOUR:AM:STAT ${on ? "ON" : "OFF"}`, options);
  }

  async readEmission(): Promise<boolean> {
    const command = "SOUR:AM:STAT?";
    return parseChoice(await this.exchange(command), this.ctx(command), "emission", ["ON", "OFF"]) === "ON";
  }

  async setPowerMw(powerMw: number): Promise<void> {
    if (!Number.isFinite(powerMw) || powerMw < 0 || powerMw > this.settings.maxPowerMw)
      throw new RangeError(
        `${this.name}: power ${powerMw} mW outside 0…${this.settings.maxPowerMw} mW (safety limit)`,
      );
    await this.exchange(`SOUR:POW:LEV:IMM:AMPL ${(powerMw / 1000).toExponential(4)}`);
  }

  async readPowerMw(): Promise<number> {
    const command = "SOUR:POW:LEV?";
    // An OBIS reads back a few per cent above its set-point at most; 10 W is far beyond any OBIS.
    return (
      1000 *
      parseDecimal(await this.exchange(command), this.ctx(command), "output power", { min: 0, max: 10 })
    );
  }

  async readFaults(): Promise<LaserFaults> {
    const command = "SYST:FAUL?";
    const reply = await this.exchange(command);
    const code = parseInteger(reply, this.ctx(command), "fault code", /^0x/i.test(reply.trim()) ? 16 : 10);
    return { code, active: describeObisFaults(code) };
  }

  async setInterlockPermit(permit: boolean): Promise<void> {
    await this.interlockLine.write(permit ? 1 : 0);
  }

  permitLine(): SharedLine | undefined {
    return this.interlockLine.share?.();
  }

  async makeSafe(): Promise<void> {
    await this.setInterlockPermit(false);
    await this.setEmission(false, { priority: "urgent" });
  }

  async readTelemetry(): Promise<TelemetryValues> {
    const emission = await this.readEmission();
    const powerMw = await this.readPowerMw();
    const faults = await this.readFaults();
    const permit = (await this.interlockLine.read()) === 1;
    return {
      emission,
      powerMw,
      interlockPermit: permit,
      faultCode: faults.code,
      faults: faults.active,
    };
  }
}
