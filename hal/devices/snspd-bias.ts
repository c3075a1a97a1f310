/**
 * SNSPD channel: readout enable on a GPIO line, bias current from an MCP4728 channel through a
 * series resistor (µA per DAC volt), latch detection from the DC voltage at the bias tee read by an
 * ADS1115 input, and the detector stage temperature from the cryostat's controller.
 *
 * A latched nanowire is normal (resistive): it stops counting and the bias tee shows a voltage.
 * Below the threshold a biased wire is superconducting and the monitor reads ~0 V.
 */
import type { Detector, GpioLine, TelemetryValues } from "../interfaces.js";
import type { Ads1115 } from "./ads1115.js";
import type { Mcp4728 } from "./mcp4728.js";

export interface SnspdBiasSettings {
  dacChannel: number;
  biasUaPerV: number;
  monitorInput: number;
  monitorFullScaleV: number;
  latchThresholdMv: number;
  /** The bench's safety limit. */
  maxBiasUa: number;
  /** Where the detector stage temperature comes from. */
  readTemperatureK: () => Promise<number>;
}

export class SnspdBias implements Detector {
  constructor(
    readonly name: string,
    private readonly enableLine: GpioLine,
    private readonly dac: Mcp4728,
    private readonly monitor: Ads1115,
    private readonly settings: SnspdBiasSettings,
  ) {}

  async setEnabled(enabled: boolean): Promise<void> {
    await this.enableLine.write(enabled ? 1 : 0);
  }

  async setBiasUa(biasUa: number): Promise<void> {
    const max = this.settings.maxBiasUa;
    if (!Number.isFinite(biasUa) || biasUa < 0 || biasUa > max)
      throw new RangeError(`${this.name}: bias ${biasUa} µA outside 0…${max} µA (safety limit)`);
    await this.dac.writeVolts(this.settings.dacChannel, biasUa / this.settings.biasUaPerV);
  }

  async readBiasUa(): Promise<number> {
    return (await this.dac.readVolts(this.settings.dacChannel)) * this.settings.biasUaPerV;
  }

  async readMonitorMv(): Promise<number> {
    return (
      1000 * (await this.monitor.readInputV(this.settings.monitorInput, this.settings.monitorFullScaleV))
    );
  }

  async readLatched(): Promise<boolean> {
    const biasUa = await this.readBiasUa();
    return biasUa > 0 && (await this.readMonitorMv()) > this.settings.latchThresholdMv;
  }

  readTemperatureK(): Promise<number> {
    return this.settings.readTemperatureK();
  }

  async makeSafe(): Promise<void> {
    await this.dac.writeCode(this.settings.dacChannel, 0);
    await this.setEnabled(false);
  }

  async readTelemetry(): Promise<TelemetryValues> {
    const enabled = (await this.enableLine.read()) === 1;
    const biasUa = await this.readBiasUa();
    const monitorMv = await this.readMonitorMv();
    const values: TelemetryValues = {
      enabled,
      biasUa: Number(biasUa.toFixed(3)),
      monitorMv: Number(monitorMv.toFixed(3)),
      latched: biasUa > 0 && monitorMv > this.settings.latchThresholdMv,
    };
    values.stageTempK = await this.readTemperatureK();
    return values;
  }
}
