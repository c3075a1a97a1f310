/**
 * The Thorlabs MDT693B driver through the real serialport library, on a pty that socat serves
 * from the simulated unit (echo, `*[ value]`, the `*` prompt with no terminator after it): moves
 * in µm become output volts at the axis' µm per volt, read back to the unit's 0.1 V, inside the
 * front-panel voltage limit and the soft limits; nothing moves while the stage holds.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSerialPort } from "../../hal/backends/serialport.js";
import { ThorlabsMdt } from "../../hal/devices/thorlabs-mdt.js";
import type { SerialLink } from "../../hal/interfaces.js";
import { type ServedPty, servePty } from "../../sim/pty.js";
import { ThorlabsMdtTwin } from "../../sim/twins/thorlabs-mdt.js";
import { findTool } from "../helpers/processes.js";

const socat = findTool("socat", "REQUIRE_SOCAT");

describe.skipIf(!socat)("Thorlabs MDT693B over serialport on a pty served by the sim", () => {
  const unit = new ThorlabsMdtTwin("MDT693B", 75);
  let pty: ServedPty;
  let link: SerialLink;
  let stage: ThorlabsMdt;

  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "pb-pty-")), "ttyMDT");
    pty = await servePty(unit, { path, replyTerminator: "", socat: socat! });
    link = await openSerialPort(
      "stage",
      { path, baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1, timeoutMs: 500, terminator: "\r" },
      pino({ level: "silent" }),
    );
    // 20 µm of travel at 75 V on x and y; y has a soft limit at 15 µm.
    stage = new ThorlabsMdt("stage", link, {
      x: { channel: "x", umPerV: 20 / 75 },
      y: { channel: "y", umPerV: 20 / 75, maxUm: 15 },
    });
  });
  afterAll(async () => {
    await link?.close();
    await pty?.close();
  });

  it("identifies the model and reads the voltage limit", async () => {
    expect(await stage.identify()).toBe("Model MDT693B Piezo Control Module");
    expect(await stage.voltageLimitV()).toBe(75);
    expect(await stage.limitsUm("x")).toEqual({ minUm: 0, maxUm: 20 });
    expect(await stage.limitsUm("y")).toEqual({ minUm: 0, maxUm: 15 });
  });

  it("moves in µm as volts, and reads the position back to the unit's 0.1 V", async () => {
    await stage.moveToUm("x", 12.5); // 12.5 µm / (20/75 µm/V) = 46.875 V
    expect(pty.received).toContain("xvoltage=46.875");
    expect(unit.voltages.x).toBeCloseTo(46.875, 6);
    // The unit reports 46.9 V: 46.9 × 20/75 = 12.5067 µm.
    expect(await stage.readPositionUm("x")).toBeCloseTo(12.5067, 4);
    const telemetry = await stage.readTelemetry();
    expect(telemetry).toMatchObject({ xVoltageV: 46.9, voltageLimitV: 75, holding: false });
    expect(link.strayBytes).toBe(0); // every echo and prompt was read as part of its reply
  });

  it("refuses a move beyond the voltage limit's travel or the soft limit, and every move while holding", async () => {
    const before = pty.received.length;
    await expect(stage.moveToUm("x", 20.1)).rejects.toThrow(/outside the soft limits 0…20 µm/);
    await expect(stage.moveToUm("y", 15.5)).rejects.toThrow(/outside the soft limits 0…15 µm/);
    await expect(stage.moveToUm("z", 1)).rejects.toThrow(/no z axis/);
    expect(pty.received.slice(before).filter((l) => l.includes("="))).toEqual([]);
    stage.hold();
    await expect(stage.moveToUm("x", 1)).rejects.toThrow(/holding/);
    expect(unit.voltages.x).toBeCloseTo(46.875, 6);
  });
});
