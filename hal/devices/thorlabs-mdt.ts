/**
 * Thorlabs MDT693B (3 channels) / MDT694B (1 channel) open-loop piezo controller over its USB
 * serial port: 115200 8N1, commands end in CR. The unit echoes each command, answers a query with
 * `*[ value]` and ends every reply with its prompt (`*`, `>` on newer firmware); a set command
 * gets only the echo and the prompt. Protocol as transcribed in ../shared/INSTRUMENTS.md §3:
 * `xvoltage=24.680`, `xvoltage?` → `*[  24.8]`, `vlimit?` → `*[ 100]` (the front-panel 75/100/150 V
 * switch), `id?`. Positions come from a per-axis µm per volt: open loop, so hysteresis (10–15 %
 * of a piezo's travel) and creep are not in it — the aligner closes the loop on the light.
 */
import { ProtocolError } from "../errors.js";
import type { Actuator, Axis, ReplyReader, SerialLink, TelemetryValues } from "../interfaces.js";
import { checkMove, limitsWithinTravel, stageAxis } from "./stage-limits.js";

export interface MdtAxis {
  /** The controller's output that drives this axis. */
  channel: "x" | "y" | "z";
  umPerV: number;
  /** Soft limits, µm; default 0 to the voltage limit's travel. */
  minUm?: number;
  maxUm?: number;
}

/** A set command's reply: the echo, then the prompt. */
const setReply: ReplyReader<string> = (received) => {
  const text = Buffer.from(received).toString("latin1");
  const prompt = text.search(/[*>]/);
  return prompt < 0 ? undefined : { value: "", consumed: prompt + 1 };
};

/** A query's reply: the echo, `*[ value]` CR, then the prompt; the value is what the brackets hold. */
const queryReply: ReplyReader<string> = (received) => {
  const text = Buffer.from(received).toString("latin1");
  const open = text.indexOf("[");
  const close = open < 0 ? -1 : text.indexOf("]", open);
  if (close < 0) return undefined;
  const prompt = text.slice(close + 1).search(/[*>]/);
  if (prompt < 0) return undefined;
  return { value: text.slice(open + 1, close).trim(), consumed: close + 1 + prompt + 1 };
};

export class ThorlabsMdt implements Actuator {
  readonly axes: readonly Axis[];
  private held = false;
  private limitV: number | undefined;

  constructor(
    readonly name: string,
    private readonly link: SerialLink,
    private readonly axisSettings: Partial<Record<Axis, MdtAxis>>,
  ) {
    this.axes = (Object.keys(axisSettings) as Axis[]).sort();
  }

  private axis(axis: Axis): MdtAxis {
    return stageAxis(this.name, this.axisSettings, axis);
  }

  private async query(command: string): Promise<number> {
    const reply = await this.link.request(`${command}\r`, queryReply);
    const value = Number(reply);
    if (reply === "" || !Number.isFinite(value))
      throw new ProtocolError(`${command} answered "${reply}", not a number`, { device: this.name, command });
    return value;
  }

  /** The output voltage limit the front-panel switch sets (75, 100 or 150 V), read once. */
  async voltageLimitV(): Promise<number> {
    this.limitV ??= await this.query("vlimit?");
    return this.limitV;
  }

  /** `id?` answers several lines (model, firmware, …) before the prompt: the model line. */
  async identify(): Promise<string> {
    return this.link.request("id?\r", (received) => {
      const text = Buffer.from(received).toString("latin1");
      const model = /Model [^\r\n]*/.exec(text);
      const prompt = model ? text.slice(model.index).search(/\r[*>]/) : -1;
      return model && prompt >= 0
        ? { value: model[0].trim(), consumed: model.index + prompt + 2 }
        : undefined;
    });
  }

  async limitsUm(axis: Axis): Promise<{ minUm: number; maxUm: number }> {
    const a = this.axis(axis);
    return limitsWithinTravel((await this.voltageLimitV()) * a.umPerV, a);
  }

  async moveToUm(axis: Axis, positionUm: number): Promise<void> {
    const a = this.axis(axis);
    checkMove(this.name, this.held, axis, positionUm, await this.limitsUm(axis));
    const command = `${a.channel}voltage=${(positionUm / a.umPerV).toFixed(3)}`;
    await this.link.request(`${command}\r`, setReply);
  }

  /** The output voltage the controller reports (0.1 V resolution) as µm. */
  async readPositionUm(axis: Axis): Promise<number> {
    const a = this.axis(axis);
    return (await this.query(`${a.channel}voltage?`)) * a.umPerV;
  }

  hold(): void {
    this.held = true;
  }

  async readTelemetry(): Promise<TelemetryValues> {
    const values: TelemetryValues = { holding: this.held, voltageLimitV: await this.voltageLimitV() };
    for (const axis of this.axes) {
      const volts = await this.query(`${this.axis(axis).channel}voltage?`);
      values[`${axis}VoltageV`] = volts;
      values[`${axis}PositionUm`] = Number((volts * this.axis(axis).umPerV).toFixed(3));
    }
    return values;
  }
}
