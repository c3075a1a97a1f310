/**
 * The OBIS laser's SCPI interface with handshaking on: `OK` after every command, the value line
 * and `OK` after a query, `ERR-nnn` for what the laser refuses. Emission cannot be switched on
 * while the remote interlock is open (permit line low).
 */
import type { SimBench } from "../bench.js";
import type { Rng } from "../random.js";
import type { LineInstrument } from "../serial-twin.js";

/** This simulated OBIS is a 100 mW model. */
export const SIM_OBIS_MAX_POWER_W = 0.1;
/** SYST:FAUL? bit set while the laser is unlocked (see hal/devices/obis-laser.ts). */
const FAULT_LASER_READY = 1 << 13;

export class ObisLaserTwin implements LineInstrument {
  constructor(
    private readonly bench: SimBench,
    private readonly rng: Rng,
  ) {}

  handle(line: string): string | undefined {
    const laser = this.bench.laser;
    const [command = "", arg] = line.trim().toUpperCase().split(/\s+/, 2);
    const value = (v: string) => `${v}\r\nOK`;
    switch (command) {
      case "*IDN?":
        return value("Coherent, Inc - OBIS 785nm LX 100mW - V1.5.6 - SIM");
      case "SOUR:AM:STAT":
        if (arg === "ON") {
          if (!laser.permit) return "ERR-350"; // interlock open
          laser.emission = true;
          return "OK";
        }
        if (arg === "OFF") {
          laser.emission = false;
          return "OK";
        }
        return "ERR-102";
      case "SOUR:AM:STAT?":
        return value(laser.emission ? "ON" : "OFF");
      case "SOUR:POW:LEV:IMM:AMPL": {
        const watts = Number(arg);
        if (!Number.isFinite(watts) || watts < 0 || watts > SIM_OBIS_MAX_POWER_W) return "ERR-220";
        laser.powerSetMw = watts * 1000;
        return "OK";
      }
      case "SOUR:POW:LEV?": {
        const mw = this.bench.laserOutputMw() * (1 + 1e-3 * this.rng.normal());
        return value((Math.max(0, mw) / 1000).toExponential(4));
      }
      case "SYST:FAUL?":
        return value(String(laser.unlocked ? FAULT_LASER_READY : 0));
      default:
        return "ERR-100";
    }
  }
}
