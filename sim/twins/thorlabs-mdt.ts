/**
 * A Thorlabs MDT693B/MDT694B as its serial port shows it (hal/devices/thorlabs-mdt.ts): each
 * command echoed, queries answered `*[ value]` CR, every reply ending in the `*` prompt with no
 * terminator; output voltages held between 0 and the front-panel limit, read back to 0.1 V.
 */
import type { LineInstrument } from "../serial-twin.js";

export class ThorlabsMdtTwin implements LineInstrument {
  readonly voltages: Record<"x" | "y" | "z", number> = { x: 0, y: 0, z: 0 };

  constructor(
    private readonly model: "MDT693B" | "MDT694B",
    readonly limitV = 100,
    private readonly onMove: (channel: "x" | "y" | "z", volts: number) => void = () => {},
  ) {}

  handle(line: string): string | undefined {
    const command = line.trim();
    const echo = `${command}\r`;
    const value = (v: string) => `${echo}*[${v.padStart(6)}]\r*`;
    const lower = command.toLowerCase();
    if (lower === "id?")
      return `${echo}*\r\rModel ${this.model} Piezo Control Module\rFirmware Version: 1.05\r*`;
    if (lower === "vlimit?") return value(String(this.limitV));
    const channels = this.model === "MDT693B" ? "xyz" : "x";
    const query = new RegExp(`^([${channels}])voltage\\?$`).exec(lower);
    if (query) return value(this.voltages[query[1] as "x"].toFixed(1));
    const set = new RegExp(`^([${channels}])voltage=([0-9.]+)$`).exec(lower);
    if (set) {
      const channel = set[1] as "x" | "y" | "z";
      this.voltages[channel] = Math.min(this.limitV, Math.max(0, Number(set[2])));
      this.onMove(channel, this.voltages[channel]);
      return `${echo}*`;
    }
    return `${echo}CMD_NOT_DEFINED\r*`; // what a real unit says here is not confirmed
  }
}
