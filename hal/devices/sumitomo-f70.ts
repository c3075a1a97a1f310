/**
 * Sumitomo (SHI) F-70 helium compressor, RS-232 9600 8N1, firmware ≥ 1.6 (F-70 operating manual,
 * "Digital communication"). A frame is `$` + command + CRC + CR; a reply is `$CMD,field,…,CRC` CR.
 * The CRC is CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) over every character before it —
 * for replies including the last comma — written as four upper-case hex digits:
 * `$STA` → `$STA3504`, `$STA,0000,` → `FAD0`. A frame the compressor does not understand is
 * answered with `$???,3278`.
 */
import type { Compressor, CompressorStatus, SerialLink, TelemetryValues } from "../interfaces.js";
import { bad, parseDecimal, parseInteger, type ReplyContext } from "./reply.js";

export function crc16Modbus(text: string): number {
  let crc = 0xffff;
  for (let i = 0; i < text.length; i++) {
    crc ^= text.charCodeAt(i) & 0xff;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");

/** `$STA` → `$STA3504` (without the CR, which the link appends). */
export function f70Frame(command: string): string {
  const body = `$${command}`;
  return body + hex4(crc16Modbus(body));
}

/** Checks a reply's CRC and echo; returns its fields between the echo and the CRC. */
export function parseF70Reply(reply: string, command: string, ctx: ReplyContext): string[] {
  const text = reply.trim();
  const lastComma = text.lastIndexOf(",");
  if (!text.startsWith("$") || lastComma < 0) throw bad(ctx, reply, "not an F-70 reply frame");
  const crc = text.slice(lastComma + 1);
  if (!/^[0-9A-F]{4}$/.test(crc) || Number.parseInt(crc, 16) !== crc16Modbus(text.slice(0, lastComma + 1)))
    throw bad(ctx, reply, "CRC mismatch");
  const fields = text.slice(1, lastComma).split(",");
  if (fields[0] === "???") throw bad(ctx, reply, "the compressor did not understand the command");
  if (fields[0] !== command) throw bad(ctx, reply, `reply echoes ${fields[0]}, expected ${command}`);
  return fields.slice(1);
}

/** Status word bits 0–8 (manual, `$STA` status bits). */
export const F70_ALARM_BITS: ReadonlyArray<[number, string]> = [
  [1, "motor temperature"],
  [2, "phase sequence/fuse"],
  [3, "helium temperature"],
  [4, "water temperature"],
  [5, "water flow"],
  [6, "oil level"],
  [7, "pressure"],
];
const SYSTEM_ON_BIT = 0;
/** Operating state, status word bits 9–11. */
export const F70_STATES = [
  "local-off",
  "local-on",
  "remote-off",
  "remote-on",
  "cold-head-run",
  "cold-head-pause",
  "fault-off",
  "oil-equalization",
] as const;

/** Gauge pressures an F-70 can report, psig (its transducers read 0–500 psig). */
const PRESSURE_RANGE = { min: -15, max: 500 };

export class SumitomoF70 implements Compressor {
  constructor(
    readonly name: string,
    private readonly link: SerialLink,
  ) {}

  private async exchange(command: string, fieldCount: number): Promise<string[]> {
    const frame = f70Frame(command);
    const ctx = { device: this.name, command: frame };
    const fields = parseF70Reply(await this.link.query(frame), command, ctx);
    if (fields.length !== fieldCount)
      throw bad(ctx, fields.join(","), `expected ${fieldCount} fields, got ${fields.length}`);
    return fields;
  }

  async identify(): Promise<string> {
    const [version, hours] = await this.exchange("ID1", 3);
    return `Sumitomo F-70 firmware ${version}, ${Number(hours)} h`;
  }

  async readStatus(): Promise<CompressorStatus> {
    const [word] = await this.exchange("STA", 1);
    const bits = parseInteger(word!, { device: this.name, command: f70Frame("STA") }, "status word", 16);
    const bit = (n: number) => (bits >> n) & 1;
    return {
      running: bit(SYSTEM_ON_BIT) === 1,
      state: F70_STATES[(bits >> 9) & 7]!,
      alarms: F70_ALARM_BITS.filter(([n]) => bit(n)).map(([, what]) => what),
    };
  }

  /** `$PRA` answers P1 (supply, high side) and P2 (return, low side) in psig. */
  async readPressuresPsig(): Promise<{ supplyPsig: number; returnPsig: number }> {
    const [p1, p2] = await this.exchange("PRA", 2);
    const ctx = { device: this.name, command: f70Frame("PRA") };
    return {
      supplyPsig: parseDecimal(p1!, ctx, "supply pressure", PRESSURE_RANGE),
      returnPsig: parseDecimal(p2!, ctx, "return pressure", PRESSURE_RANGE),
    };
  }

  /** `$TEA`: helium discharge, water outlet, water inlet and a spare, °C. */
  async readTemperaturesC(): Promise<{
    heliumDischargeTempC: number;
    waterOutletTempC: number;
    waterInletTempC: number;
  }> {
    const [t1, t2, t3] = await this.exchange("TEA", 4);
    const ctx = { device: this.name, command: f70Frame("TEA") };
    const range = { min: -50, max: 200 };
    return {
      heliumDischargeTempC: parseDecimal(t1!, ctx, "helium discharge temperature", range),
      waterOutletTempC: parseDecimal(t2!, ctx, "water outlet temperature", range),
      waterInletTempC: parseDecimal(t3!, ctx, "water inlet temperature", range),
    };
  }

  async start(): Promise<void> {
    await this.exchange("ON1", 0);
  }

  async stop(): Promise<void> {
    await this.exchange("OFF", 0);
  }

  async resetAlarms(): Promise<void> {
    await this.exchange("RS1", 0);
  }

  async readTelemetry(): Promise<TelemetryValues> {
    const status = await this.readStatus();
    const pressures = await this.readPressuresPsig();
    const temperatures = await this.readTemperaturesC();
    return {
      running: status.running,
      state: status.state,
      alarms: status.alarms,
      ...pressures,
      ...temperatures,
    };
  }
}
