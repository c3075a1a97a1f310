/**
 * Lake Shore Model 336 temperature controller over RS-232 (57600 baud, 7O1, CR LF; manual §6.3).
 *
 * Commands and queries may be joined with `;` on one line and the replies come back joined the
 * same way (manual §6.1.3), so one round trip reads a temperature with its reading status, and a
 * set-point is written and read back in one exchange.
 */
import type {
  HeaterRange,
  SensorInput,
  SerialLink,
  TelemetryValues,
  TemperatureController,
} from "../interfaces.js";
import { bad, parseDecimal, parseInteger, type ReplyContext, splitReply } from "./reply.js";

/** Highest temperature any 336 input reports (type K thermocouple upper end), K. */
export const LS336_MAX_TEMP_K = 1505;

/** RDGST? bits (manual §6.4, RDGST?): any of them makes the reading meaningless. */
export const READING_STATUS_BITS: ReadonlyArray<[number, string]> = [
  [1, "invalid reading"],
  [16, "temperature under range"],
  [32, "temperature over range"],
  [64, "sensor units zero"],
  [128, "sensor units over range"],
];

/** RANGE values for outputs 1 and 2 (manual §6.4, RANGE). */
export const HEATER_RANGES: readonly HeaterRange[] = ["off", "low", "medium", "high"];

export interface LakeShore336Settings {
  /** Telemetry name → input letter, e.g. { sample: "A", detectorStage: "B" }. */
  inputs: Record<string, SensorInput>;
  heaterOutput: 1 | 2;
}

export class LakeShore336 implements TemperatureController {
  constructor(
    readonly name: string,
    private readonly link: SerialLink,
    private readonly settings: LakeShore336Settings,
  ) {}

  private ctx(command: string): ReplyContext {
    return { device: this.name, command };
  }

  async identify(): Promise<string> {
    const reply = await this.link.query("*IDN?");
    if (!/^LSCI,MODEL33[56],/.test(reply.trim()))
      throw bad(this.ctx("*IDN?"), reply, "not a Lake Shore 335/336 identification");
    return reply.trim();
  }

  async readTemperatureK(input: SensorInput): Promise<number> {
    const command = `KRDG? ${input};RDGST? ${input}`;
    const reply = await this.link.query(command);
    const [kelvin, status] = splitReply(reply, ";", 2, this.ctx(command));
    return this.checkedTemperature(kelvin!, status!, input, { ...this.ctx(command), reply });
  }

  private checkedTemperature(kelvin: string, status: string, input: SensorInput, ctx: ReplyContext): number {
    const bits = parseInteger(status, ctx, `input ${input} reading status`);
    const problems = READING_STATUS_BITS.filter(([bit]) => bits & bit).map(([, what]) => what);
    if (problems.length > 0) throw bad(ctx, `${kelvin};${status}`, `input ${input}: ${problems.join(", ")}`);
    return parseDecimal(kelvin, ctx, `input ${input} temperature`, {
      min: Number.MIN_VALUE,
      max: LS336_MAX_TEMP_K,
    });
  }

  async setSetpointK(output: 1 | 2, tempK: number): Promise<void> {
    if (!Number.isFinite(tempK) || tempK <= 0 || tempK > LS336_MAX_TEMP_K)
      throw new RangeError(`${this.name}: set-point ${tempK} K outside 0…${LS336_MAX_TEMP_K} K`);
    const command = `SETP ${output},${tempK.toFixed(4)};SETP? ${output}`;
    const readBack = parseDecimal(await this.link.query(command), this.ctx(command), "set-point");
    // The 336 keeps 4 decimals in kelvin; anything else means the command was not taken.
    if (Math.abs(readBack - tempK) > 5e-4)
      throw bad(this.ctx(command), String(readBack), `set-point reads back ${readBack} K, not ${tempK} K`);
  }

  async readSetpointK(output: 1 | 2): Promise<number> {
    const command = `SETP? ${output}`;
    return parseDecimal(await this.link.query(command), this.ctx(command), "set-point", {
      min: 0,
      max: LS336_MAX_TEMP_K,
    });
  }

  async setHeaterRange(output: 1 | 2, range: HeaterRange): Promise<void> {
    const command = `RANGE ${output},${HEATER_RANGES.indexOf(range)};RANGE? ${output}`;
    const readBack = this.parseRange(await this.link.query(command), this.ctx(command));
    if (readBack !== range)
      throw bad(this.ctx(command), readBack, `heater range reads back ${readBack}, not ${range}`);
  }

  async readHeaterRange(output: 1 | 2): Promise<HeaterRange> {
    const command = `RANGE? ${output}`;
    return this.parseRange(await this.link.query(command), this.ctx(command));
  }

  private parseRange(reply: string, ctx: ReplyContext): HeaterRange {
    const index = parseInteger(reply, ctx, "heater range");
    const range = HEATER_RANGES[index];
    if (range === undefined) throw bad(ctx, reply, "heater range outside 0…3");
    return range;
  }

  async readHeaterPercent(output: 1 | 2): Promise<number> {
    const command = `HTR? ${output}`;
    return parseDecimal(await this.link.query(command), this.ctx(command), "heater output", {
      min: 0,
      max: 100,
    });
  }

  /** Every configured input, the set-point, heater output and range, in one round trip. */
  async readTelemetry(): Promise<TelemetryValues> {
    const inputs = Object.entries(this.settings.inputs);
    const out = this.settings.heaterOutput;
    const command = [
      ...inputs.map(([, input]) => `KRDG? ${input};RDGST? ${input}`),
      `SETP? ${out};HTR? ${out};RANGE? ${out}`,
    ].join(";");
    const reply = await this.link.query(command);
    const ctx = { ...this.ctx(command), reply };
    const parts = splitReply(reply, ";", inputs.length * 2 + 3, ctx);
    const values: TelemetryValues = {};
    inputs.forEach(([name, input], i) => {
      values[`${name}TempK`] = this.checkedTemperature(parts[2 * i]!, parts[2 * i + 1]!, input, ctx);
    });
    const [setpoint, heater, range] = parts.slice(inputs.length * 2);
    values.setpointK = parseDecimal(setpoint!, ctx, "set-point", { min: 0, max: LS336_MAX_TEMP_K });
    values.heaterPercent = parseDecimal(heater!, ctx, "heater output", { min: 0, max: 100 });
    values.heaterRange = this.parseRange(range!, ctx);
    return values;
  }
}
