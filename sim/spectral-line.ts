/**
 * The emitter's spectral line: a Lorentzian of FWHM `linewidthMHz` (lifetime and pure dephasing)
 * whose centre wanders — spectral diffusion, charges hopping near the dot — as an Ornstein–Uhlenbeck
 * process of r.m.s. `wanderGHz` and correlation time `wanderTimeS`, advanced exactly at each step.
 * A scanning Fabry–Pérot sees the line convolved with its own Airy peak (a Lorentzian of FSR /
 * finesse near resonance): a Lorentzian whose width is the sum, repeating every FSR. The truth the
 * spectral service's fit is checked against: `linewidthMHz` and `centreOffsetGHz` at scan time.
 */
import type { Rng } from "./random.js";

const C_NM_GHZ = 299_792_458;

export interface SpectralLineSettings {
  wavelengthNm: number;
  linewidthMHz: number;
  wanderGHz: number;
  wanderTimeS: number;
  peakSignalV: number;
  noiseV: number;
}

export class SpectralLine {
  /** The centre's offset from `wavelengthNm`'s frequency, GHz. */
  centreOffsetGHz = 0;
  linewidthMHz: number;
  private atS = 0;

  constructor(
    private readonly settings: SpectralLineSettings,
    private readonly rng: Rng,
  ) {
    this.linewidthMHz = settings.linewidthMHz;
  }

  advanceTo(timeS: number): void {
    const dt = timeS - this.atS;
    if (dt <= 0) return;
    this.atS = timeS;
    const { wanderGHz, wanderTimeS } = this.settings;
    if (wanderGHz === 0) return;
    const keep = Math.exp(-dt / wanderTimeS);
    this.centreOffsetGHz =
      this.centreOffsetGHz * keep + wanderGHz * Math.sqrt(1 - keep * keep) * this.rng.normal();
  }

  get frequencyGHz(): number {
    return C_NM_GHZ / this.settings.wavelengthNm + this.centreOffsetGHz;
  }

  get wavelengthNm(): number {
    return C_NM_GHZ / this.frequencyGHz;
  }

  /**
   * The photodiode behind a Fabry–Pérot tuned `detuningGHz` from the line's nominal frequency, V:
   * the nearest three orders, plus noise.
   */
  transmissionV(detuningGHz: number, fsrGHz: number, cavityWidthGHz: number): number {
    const halfWidth = (this.linewidthMHz / 1000 + cavityWidthGHz) / 2;
    let signal = 0;
    for (const k of [-1, 0, 1]) {
      const u = (detuningGHz - this.centreOffsetGHz - k * fsrGHz) / halfWidth;
      signal += this.settings.peakSignalV / (1 + u * u);
    }
    return signal + this.settings.noiseV * this.rng.normal();
  }
}
