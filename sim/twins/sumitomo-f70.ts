/**
 * The F-70 compressor's RS-232 protocol: `$CMD<crc>` in, `$CMD,fields,<crc>` out, CR
 * terminated, CRC-16/MODBUS as in hal/devices/sumitomo-f70.ts. A frame with a bad CRC or an
 * unknown command gets `$???,3278`.
 */
import { crc16Modbus, F70_STATES } from "../../hal/devices/sumitomo-f70.js";
import type { SimBench } from "../bench.js";
import type { LineInstrument } from "../serial-twin.js";

const SYSTEM_ON = 1 << 0;
const SOLENOID = 1 << 8;

export function f70Reply(command: string, fields: Array<string | number>): string {
  const body = `$${[command, ...fields].join(",")},`;
  return body + crc16Modbus(body).toString(16).toUpperCase().padStart(4, "0");
}

export class SumitomoF70Twin implements LineInstrument {
  constructor(private readonly bench: SimBench) {}

  handle(line: string): string | undefined {
    const frame = line.trim();
    const body = frame.slice(0, -4);
    const crc = Number.parseInt(frame.slice(-4), 16);
    if (!frame.startsWith("$") || frame.length < 8 || crc !== crc16Modbus(body)) return "$???,3278";
    const c = this.bench.compressor;
    switch (body.slice(1)) {
      case "ID1":
        return f70Reply("ID1", ["2.0", Math.floor(c.operatingHours), 0]);
      case "STA": {
        const state = c.running
          ? F70_STATES.indexOf("remote-on")
          : c.alarmBits
            ? F70_STATES.indexOf("fault-off")
            : F70_STATES.indexOf("remote-off");
        const word = (c.running ? SYSTEM_ON | SOLENOID : 0) | c.alarmBits | (state << 9);
        return f70Reply("STA", [word.toString(16).toUpperCase().padStart(4, "0")]);
      }
      case "PRA": {
        const p = c.readPressures();
        return f70Reply("PRA", [p.supplyPsig, p.returnPsig]);
      }
      case "TEA":
        return f70Reply("TEA", c.running ? [55, 28, 20, 0] : [25, 22, 21, 0]);
      case "ON1":
        c.start();
        return f70Reply("ON1", []);
      case "OFF":
        c.running = false;
        return f70Reply("OFF", []);
      case "RS1":
        c.resetAlarms();
        return f70Reply("RS1", []);
      default:
        return "$???,3278";
    }
  }
}
