/**
 * A wavemeter on SCPI (Bristol 671-like) as its port shows it: `*IDN?`, and `:MEAS:WAV?` with the
 * simulated line's centre in nm to 6 decimals (0.000001 nm = 1 fm: finer than the instrument, so
 * the drift the agent reports is the line's). Unknown commands get no reply (a timeout), as SCPI
 * instruments without error echo do.
 */
import type { SimBench } from "../bench.js";
import type { LineInstrument } from "../serial-twin.js";

export class ScpiWavemeterTwin implements LineInstrument {
  constructor(private readonly bench: SimBench) {}

  handle(line: string): string | undefined {
    const command = line.trim().toUpperCase();
    if (command === "*IDN?") return "BRISTOL WAVELENGTH METER,671A-VIS,6789,1.0 (sim)";
    if (command === ":MEAS:WAV?" || command === ":MEASURE:WAVELENGTH?")
      return this.bench.spectralLine.wavelengthNm.toFixed(6);
    return undefined;
  }
}
