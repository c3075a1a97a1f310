/**
 * The Lake Shore 336's remote interface on the simulated cryostat. Input A reads the sample
 * (emitter) stage, input B the cold plate with the detectors; C and D have no sensor and report
 * an invalid reading, as an unconnected input does. Commands and queries may be joined with `;`,
 * query replies come back joined the same way; a line with an unknown query gets no reply.
 */
import type { HeaterRange } from "../../hal/interfaces.js";
import type { SimBench } from "../bench.js";
import type { Rng } from "../random.js";
import type { LineInstrument } from "../serial-twin.js";

const RANGES: readonly HeaterRange[] = ["off", "low", "medium", "high"];
/** Sensor read noise of a calibrated Cernox at 4 K, K. */
const READ_NOISE_K = 0.0005;

const kelvin = (k: number) => `+${k.toFixed(4).padStart(8, "0")}`;

export class LakeShore336Twin implements LineInstrument {
  constructor(
    private readonly bench: SimBench,
    private readonly rng: Rng,
  ) {}

  private inputK(input: string): number | undefined {
    const c = this.bench.cryostat;
    const k = input === "A" ? c.sampleK : input === "B" ? c.stageK : undefined;
    return k === undefined ? undefined : k + READ_NOISE_K * this.rng.normal();
  }

  handle(line: string): string | undefined {
    const replies: string[] = [];
    for (const part of line.split(";")) {
      const [command = "", argText = ""] = part.trim().toUpperCase().split(/\s+/, 2);
      const args = argText.split(",");
      const c = this.bench.cryostat;
      switch (command) {
        case "*IDN?":
          replies.push("LSCI,MODEL336,SIM0336/1234567,2.9");
          break;
        case "KRDG?": {
          const k = this.inputK(args[0] ?? "");
          if (!/^[ABCD]$/.test(args[0] ?? "")) return undefined;
          replies.push(k === undefined ? "+0.0000" : kelvin(k));
          break;
        }
        case "RDGST?":
          if (!/^[ABCD]$/.test(args[0] ?? "")) return undefined;
          replies.push(this.inputK(args[0]!) === undefined ? "001" : "000");
          break;
        case "SETP":
          if (Number.isFinite(Number(args[1]))) c.setpointK = Number(args[1]);
          break;
        case "SETP?":
          replies.push(kelvin(c.setpointK));
          break;
        case "RANGE": {
          const range = RANGES[Number(args[1])];
          if (range) c.heaterRange = range;
          break;
        }
        case "RANGE?":
          replies.push(String(RANGES.indexOf(c.heaterRange)));
          break;
        case "HTR?":
          replies.push(`+${c.heaterPercent.toFixed(1).padStart(5, "0")}`);
          break;
        default:
          if (command.endsWith("?")) return undefined;
      }
    }
    return replies.length > 0 ? replies.join(";") : undefined;
  }
}
