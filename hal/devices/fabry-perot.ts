/**
 * A scanning Fabry–Pérot interferometer on the bench's own converters: an MCP4728 channel ramps the
 * cavity's piezo through the scan, an ADS1115 input reads the transmission photodiode at each step.
 * A scan is the transmission against optical frequency (DAC volts × GHz per volt), from which the
 * spectral service fits the line. The DAC is left at the scan's start between scans.
 */
import type { TelemetrySource, TelemetryValues } from "../interfaces.js";
import type { Ads1115 } from "./ads1115.js";
import type { Mcp4728 } from "./mcp4728.js";

export interface FabryPerotSettings {
  dacChannel: number;
  adcInput: number;
  adcFullScaleV: number;
  ghzPerV: number;
  fsrGHz: number;
  finesse: number;
  scan: { fromV: number; toV: number; points: number; settleMs: number };
}

export interface FabryPerotScan {
  /** Optical frequency of each point from the scan's start, GHz. */
  frequencyGHz: Float64Array;
  /** The photodiode, V. */
  signalV: Float64Array;
  /** Wall-clock start and end of the scan, ms since the epoch. */
  startedAtMs: number;
  endedAtMs: number;
}

export class FabryPerot implements TelemetrySource {
  private scanning = false;
  private scans = 0;

  constructor(
    readonly name: string,
    private readonly dac: Mcp4728,
    private readonly adc: Ads1115,
    readonly settings: FabryPerotSettings,
  ) {}

  /** The cavity's own linewidth (FSR / finesse), MHz. */
  get instrumentWidthMHz(): number {
    return (this.settings.fsrGHz / this.settings.finesse) * 1000;
  }

  async scan(): Promise<FabryPerotScan> {
    if (this.scanning) throw new Error(`${this.name}: a scan is already running`);
    this.scanning = true;
    const { dacChannel, adcInput, adcFullScaleV, ghzPerV, scan } = this.settings;
    const frequencyGHz = new Float64Array(scan.points);
    const signalV = new Float64Array(scan.points);
    const startedAtMs = Date.now();
    try {
      for (let i = 0; i < scan.points; i++) {
        const volts = scan.fromV + ((scan.toV - scan.fromV) * i) / (scan.points - 1);
        await this.dac.writeVolts(dacChannel, volts);
        if (scan.settleMs > 0) await new Promise((r) => setTimeout(r, scan.settleMs));
        frequencyGHz[i] = (volts - scan.fromV) * ghzPerV;
        signalV[i] = await this.adc.readInputV(adcInput, adcFullScaleV);
      }
      await this.dac.writeVolts(dacChannel, scan.fromV);
    } finally {
      this.scanning = false;
    }
    this.scans++;
    return { frequencyGHz, signalV, startedAtMs, endedAtMs: Date.now() };
  }

  async readTelemetry(): Promise<TelemetryValues> {
    return {
      scans: this.scans,
      scanning: this.scanning,
      instrumentWidthMHz: Number(this.instrumentWidthMHz.toFixed(3)),
    };
  }
}
