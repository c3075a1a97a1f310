/**
 * Thorlabs KPZ101 K-Cube piezo drivers as one stage, a cube per axis, over the APT binary protocol
 * (./apt.ts) on each cube's USB serial port. Before its first move a cube is set up and each step
 * read back: HW_REQ_INFO (the model must be a KPZ101), the channel enabled (MOD_SET_CHANENABLESTATE,
 * read back), open loop (PZ_SET_POSCONTROLMODE 1), and the output limit (PZ_SET_TPZ_IOSETTINGS with
 * the configured 75/100/150 V, its other words kept as read; read back). A move sets the output
 * (PZ_SET_OUTPUTVOLTS: 0…32767 for 0…100 % of the limit) and reads it back (PZ_REQ_OUTPUTVOLTS) in
 * one request, so the reply confirms the unit took it. Open loop: positions are volts × µm per volt,
 * with the piezo's hysteresis and creep not in them.
 */
import { ProtocolError } from "../errors.js";
import type { Actuator, Axis, SerialLink, TelemetryValues } from "../interfaces.js";
import { type AptMessage, aptErrorText, aptLong, aptReplyReader, aptShort, MSG } from "./apt.js";
import { checkMove, limitsWithinTravel, stageAxis } from "./stage-limits.js";

export interface KpzAxis {
  link: SerialLink;
  umPerV: number;
  /** Soft limits, µm; default 0 to the voltage limit's travel. */
  minUm?: number;
  maxUm?: number;
}

const CHANNEL = 0x01;
const FULL_SCALE = 32767;
const READBACK_TOLERANCE = Math.round(FULL_SCALE * 0.005);
const OPEN_LOOP = 0x01;
const LIMIT_CODES: Record<75 | 100 | 150, number> = { 75: 1, 100: 2, 150: 3 };

export interface CubeInfo {
  serialNumber: number;
  model: string;
  firmware: string;
}

export class ThorlabsKpz101 implements Actuator {
  readonly axes: readonly Axis[];
  private held = false;
  private readonly ready = new Map<Axis, Promise<CubeInfo>>();

  constructor(
    readonly name: string,
    private readonly axisSettings: Partial<Record<Axis, KpzAxis>>,
    readonly voltageLimitV: 75 | 100 | 150,
  ) {
    this.axes = (Object.keys(axisSettings) as Axis[]).sort();
  }

  private axis(axis: Axis): KpzAxis {
    return stageAxis(this.name, this.axisSettings, axis);
  }

  /** Sends `bytes` and waits for the message `expect`; an error report from the unit throws. */
  private async request(axis: Axis, bytes: Buffer, expect: number, what: string): Promise<AptMessage> {
    const reply = await this.axis(axis).link.request(bytes, aptReplyReader(expect));
    if (reply.id !== expect)
      throw new ProtocolError(`${axis} cube: ${what}: ${aptErrorText(reply)}`, {
        device: this.name,
        command: what,
      });
    return reply;
  }

  /** The cube on `axis` set up (once; again after a failure). */
  cube(axis: Axis): Promise<CubeInfo> {
    let ready = this.ready.get(axis);
    if (!ready) {
      ready = this.setUp(axis);
      ready.catch(() => this.ready.delete(axis));
      this.ready.set(axis, ready);
    }
    return ready;
  }

  private async setUp(axis: Axis): Promise<CubeInfo> {
    const fail = (what: string) => new ProtocolError(`${axis} cube: ${what}`, { device: this.name });
    const info = (await this.request(axis, aptShort(MSG.HW_REQ_INFO), MSG.HW_GET_INFO, "HW_REQ_INFO")).data;
    if (info.length < 18) throw fail(`HW_GET_INFO carries ${info.length} bytes, not the 84 of the protocol`);
    const cube: CubeInfo = {
      serialNumber: info.readUInt32LE(0),
      model: info.subarray(4, 12).toString("latin1").replace(/\0.*$/s, "").trim(),
      firmware: `${info[16]}.${info[15]}.${info[14]}`,
    };
    if (!cube.model.startsWith("KPZ"))
      throw fail(`is a ${cube.model || "unit with no model name"}, not a KPZ101`);
    const enabled = await this.request(
      axis,
      Buffer.concat([
        aptShort(MSG.MOD_SET_CHANENABLESTATE, CHANNEL, 0x01),
        aptShort(MSG.MOD_REQ_CHANENABLESTATE, CHANNEL),
      ]),
      MSG.MOD_GET_CHANENABLESTATE,
      "MOD_SET_CHANENABLESTATE",
    );
    if (enabled.p2 !== 0x01) throw fail(`its output stays disabled (state ${enabled.p2})`);
    const io = await this.request(
      axis,
      aptShort(MSG.PZ_REQ_TPZ_IOSETTINGS, CHANNEL),
      MSG.PZ_GET_TPZ_IOSETTINGS,
      "PZ_REQ_TPZ_IOSETTINGS",
    );
    if (io.data.length < 4) throw fail(`PZ_GET_TPZ_IOSETTINGS carries ${io.data.length} bytes`);
    const settings = Buffer.from(io.data);
    settings.writeUInt16LE(CHANNEL, 0);
    settings.writeUInt16LE(LIMIT_CODES[this.voltageLimitV], 2);
    const set = await this.request(
      axis,
      Buffer.concat([
        aptShort(MSG.PZ_SET_POSCONTROLMODE, CHANNEL, OPEN_LOOP),
        aptLong(MSG.PZ_SET_TPZ_IOSETTINGS, settings),
        aptShort(MSG.PZ_REQ_TPZ_IOSETTINGS, CHANNEL),
      ]),
      MSG.PZ_GET_TPZ_IOSETTINGS,
      "PZ_SET_TPZ_IOSETTINGS",
    );
    const code = set.data.readUInt16LE(2);
    if (code !== LIMIT_CODES[this.voltageLimitV])
      throw fail(`its voltage limit reads back as code ${code}, not ${this.voltageLimitV} V`);
    return cube;
  }

  async limitsUm(axis: Axis): Promise<{ minUm: number; maxUm: number }> {
    const a = this.axis(axis);
    return limitsWithinTravel(this.voltageLimitV * a.umPerV, a);
  }

  async moveToUm(axis: Axis, positionUm: number): Promise<void> {
    const a = this.axis(axis);
    checkMove(this.name, this.held, axis, positionUm, await this.limitsUm(axis));
    await this.cube(axis);
    const counts = Math.round((positionUm / a.umPerV / this.voltageLimitV) * FULL_SCALE);
    const data = Buffer.alloc(4);
    data.writeUInt16LE(CHANNEL, 0);
    data.writeInt16LE(counts, 2);
    const reply = await this.request(
      axis,
      Buffer.concat([aptLong(MSG.PZ_SET_OUTPUTVOLTS, data), aptShort(MSG.PZ_REQ_OUTPUTVOLTS, CHANNEL)]),
      MSG.PZ_GET_OUTPUTVOLTS,
      "PZ_SET_OUTPUTVOLTS",
    );
    // Whether the unit reports the value set or its output as measured is not confirmed: a
    // difference of 0.5 % of full scale is taken as the set value, more as a move not made.
    const read = reply.data.readInt16LE(2);
    if (Math.abs(read - counts) > READBACK_TOLERANCE)
      throw new ProtocolError(`${axis} cube: output set to ${counts} of ${FULL_SCALE}, reads back ${read}`, {
        device: this.name,
        command: "PZ_SET_OUTPUTVOLTS",
      });
  }

  /** The output the cube reports, V. */
  async readVoltageV(axis: Axis): Promise<number> {
    await this.cube(axis);
    const reply = await this.request(
      axis,
      aptShort(MSG.PZ_REQ_OUTPUTVOLTS, CHANNEL),
      MSG.PZ_GET_OUTPUTVOLTS,
      "PZ_REQ_OUTPUTVOLTS",
    );
    return (reply.data.readInt16LE(2) / FULL_SCALE) * this.voltageLimitV;
  }

  async readPositionUm(axis: Axis): Promise<number> {
    return (await this.readVoltageV(axis)) * this.axis(axis).umPerV;
  }

  hold(): void {
    this.held = true;
  }

  async readTelemetry(): Promise<TelemetryValues> {
    const values: TelemetryValues = { holding: this.held, voltageLimitV: this.voltageLimitV };
    for (const axis of this.axes) {
      const volts = await this.readVoltageV(axis);
      values[`${axis}SerialNumber`] = (await this.cube(axis)).serialNumber;
      values[`${axis}VoltageV`] = Number(volts.toFixed(3));
      values[`${axis}PositionUm`] = Number((volts * this.axis(axis).umPerV).toFixed(3));
    }
    return values;
  }
}
