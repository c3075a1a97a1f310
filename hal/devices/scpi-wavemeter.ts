/**
 * A wavemeter speaking SCPI (Bristol 671/871 and alike), over serial or TCP: `*IDN?`, and
 * `:MEAS:WAV?` for the wavelength of the strongest line, nm (a number; 0 or negative: no signal).
 * Telemetry is the wavelength, the optical frequency, and the drift from `referenceNm` (or from
 * the first reading), pm. Command names as Bristol documents them for the 671; not checked on a unit.
 */
import { ProtocolError, showReply } from "../errors.js";
import type { SerialLink, TelemetrySource, TelemetryValues } from "../interfaces.js";

const C_NM_GHZ = 299_792_458; // c in nm·GHz

export class ScpiWavemeter implements TelemetrySource {
  private referenceNm: number | undefined;

  constructor(
    readonly name: string,
    private readonly link: SerialLink,
    referenceNm?: number,
  ) {
    this.referenceNm = referenceNm;
  }

  identify(): Promise<string> {
    return this.link.query("*IDN?").then((r) => r.trim());
  }

  async readWavelengthNm(): Promise<number> {
    const reply = (await this.link.query(":MEAS:WAV?")).trim();
    const nm = Number(reply);
    if (reply === "" || !Number.isFinite(nm))
      throw new ProtocolError(`:MEAS:WAV? answered ${showReply(reply)}, not a wavelength`, {
        device: this.name,
        command: ":MEAS:WAV?",
      });
    if (nm <= 0)
      throw new ProtocolError("no signal on the wavemeter (it reads no wavelength)", {
        device: this.name,
        command: ":MEAS:WAV?",
      });
    return nm;
  }

  async readTelemetry(): Promise<TelemetryValues> {
    const nm = await this.readWavelengthNm();
    this.referenceNm ??= nm;
    return {
      wavelengthNm: Number(nm.toFixed(6)),
      frequencyGHz: Number((C_NM_GHZ / nm).toFixed(3)),
      driftPm: Number(((nm - this.referenceNm) * 1000).toFixed(3)),
    };
  }
}
