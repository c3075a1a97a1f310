/**
 * The Lake Shore 336 driver over the real serialport library, on a pseudo-terminal that socat
 * connects to the simulated controller — the whole path a USB-serial cable takes, minus the cable.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSerialPort } from "../../hal/backends/serialport.js";
import { LakeShore336 } from "../../hal/devices/lakeshore336.js";
import { DeviceGone, DeviceTimeout, ProtocolError } from "../../hal/errors.js";
import type { SerialLink } from "../../hal/interfaces.js";
import { SimBench } from "../../sim/bench.js";
import { type ServedPty, servePty } from "../../sim/pty.js";
import { LakeShore336Twin } from "../../sim/twins/lakeshore336.js";
import { simConfig } from "../helpers/bench-config.js";
import { findTool } from "../helpers/processes.js";

const socat = findTool("socat", "REQUIRE_SOCAT");

describe.skipIf(!socat)("Lake Shore 336 driver over serialport on a pty served by the sim", () => {
  const bench = new SimBench(simConfig());
  let pty: ServedPty;
  let link: SerialLink;
  let controller: LakeShore336;
  let garble = false;

  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "pb-pty-")), "ttyLS336");
    pty = await servePty(new LakeShore336Twin(bench, bench.rng.fork("pty")), {
      path,
      replyTerminator: "\r\n",
      socat: socat!,
      mangle: (reply) => (garble ? reply.replace(/\d/g, "#") : reply),
    });
    // The instrument's factory settings (57600 7O1); a pty ignores them, the library still applies them.
    link = await openSerialPort(
      "cryostat",
      { path, baudRate: 57600, dataBits: 7, parity: "odd", stopBits: 1, timeoutMs: 500, terminator: "\r\n" },
      pino({ level: "silent" }),
    );
    controller = new LakeShore336("cryostat", link, {
      inputs: { sample: "A", detectorStage: "B" },
      heaterOutput: 1,
    });
  });
  afterAll(async () => {
    await link?.close();
    await pty?.close();
  });

  it("identifies itself and reads the simulated stage (2.5 K base) and sample (held at 4 K)", async () => {
    expect(await controller.identify()).toMatch(/^LSCI,MODEL336,/);
    expect(await controller.readTemperatureK("B")).toBeCloseTo(2.5, 2);
    expect(await controller.readTemperatureK("A")).toBeCloseTo(4.0, 2);
    expect(pty.received).toContain("KRDG? A;RDGST? A");
  });

  it("writes a set-point the controller then reports, and reads heater output for it", async () => {
    await controller.setSetpointK(1, 5.5);
    expect(await controller.readSetpointK(1)).toBe(5.5);
    // The sim's heater loop: 20 % per kelvin above the 2.5 K stage → 60 %.
    expect(await controller.readHeaterPercent(1)).toBeCloseTo(60, 0);
  });

  it("reports an input without a sensor as a ProtocolError naming the reading status", async () => {
    await expect(controller.readTemperatureK("C")).rejects.toThrow("input C: invalid reading");
  });

  it("turns a garbled reply into a ProtocolError with the reply, and recovers on the next", async () => {
    garble = true;
    const err = await controller.readTemperatureK("A").catch((e: unknown) => e);
    garble = false;
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).reply).toContain("#");
    expect(await controller.readTemperatureK("A")).toBeCloseTo(4.0, 2);
  });

  it("times out a query the instrument does not answer, after the link's 500 ms", async () => {
    const started = performance.now();
    const err = await link.query("NOSUCH?").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceTimeout);
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
  });

  it("reports DeviceGone once the pty disappears (cable pulled)", async () => {
    await pty.unplug();
    const err = await controller.readTemperatureK("A").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceGone);
  });
});
