/**
 * 3-axis piezo stage driven by an MCP4728 DAC through a high-voltage amplifier: DAC code 0 is the
 * stage's zero, code 4095 its full travel. Moves outside the soft limits (or the travel) are
 * refused before anything is written. `hold()` freezes the stage where it is: the DAC keeps its
 * output, so the piezo holds its position with the agent gone.
 */
import type { Actuator, Axis, TelemetryValues } from "../interfaces.js";
import { MCP4728_MAX_CODE, type Mcp4728 } from "./mcp4728.js";
import { checkMove, limitsWithinTravel, stageAxis } from "./stage-limits.js";

export interface PiezoAxis {
  channel: number;
  travelUm: number;
  /** Soft limits, µm; default the whole travel. */
  minUm?: number;
  maxUm?: number;
}

export class PiezoStage implements Actuator {
  readonly axes: readonly Axis[];
  private held = false;

  constructor(
    readonly name: string,
    private readonly dac: Mcp4728,
    private readonly axisSettings: Partial<Record<Axis, PiezoAxis>>,
  ) {
    this.axes = (Object.keys(axisSettings) as Axis[]).sort();
  }

  private axis(axis: Axis): PiezoAxis {
    return stageAxis(this.name, this.axisSettings, axis);
  }

  limitsUm(axis: Axis): { minUm: number; maxUm: number } {
    const a = this.axis(axis);
    return limitsWithinTravel(a.travelUm, a);
  }

  async moveToUm(axis: Axis, positionUm: number): Promise<void> {
    const a = this.axis(axis);
    checkMove(this.name, this.held, axis, positionUm, this.limitsUm(axis));
    await this.dac.writeCode(a.channel, Math.round((positionUm / a.travelUm) * MCP4728_MAX_CODE));
  }

  async readPositionUm(axis: Axis): Promise<number> {
    const a = this.axis(axis);
    const codes = await this.dac.readCodes();
    return (codes[a.channel]! / MCP4728_MAX_CODE) * a.travelUm;
  }

  hold(): void {
    this.held = true;
  }

  async readTelemetry(): Promise<TelemetryValues> {
    const codes = await this.dac.readCodes();
    const values: TelemetryValues = { holding: this.held };
    for (const axis of this.axes) {
      const a = this.axis(axis);
      values[`${axis}PositionUm`] = Number(((codes[a.channel]! / MCP4728_MAX_CODE) * a.travelUm).toFixed(4));
    }
    return values;
  }
}
