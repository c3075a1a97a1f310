/**
 * A USB-serial cable pulled and plugged back, on the real serialport library: the pty served by
 * socat is removed (the instrument gone: DeviceGone) and created again at the same path; the
 * agent's reopening link opens it anew at the next read, and the controller answers again.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { openSerialPort } from "../../hal/backends/serialport.js";
import { LakeShore336 } from "../../hal/devices/lakeshore336.js";
import { DeviceGone } from "../../hal/errors.js";
import { ReopeningSerialLink } from "../../hal/reopening-link.js";
import { SimBench } from "../../sim/bench.js";
import { type ServedPty, servePty } from "../../sim/pty.js";
import { LakeShore336Twin } from "../../sim/twins/lakeshore336.js";
import { simConfig } from "../helpers/bench-config.js";
import { findTool } from "../helpers/processes.js";

const socat = findTool("socat", "REQUIRE_SOCAT");

describe.skipIf(!socat)("a serial instrument unplugged and plugged back (pty removed and recreated)", () => {
  const bench = new SimBench(simConfig());
  const path = join(mkdtempSync(join(tmpdir(), "pb-replug-")), "ttyLS336");
  const serve = () =>
    servePty(new LakeShore336Twin(bench, bench.rng.fork("replug")), {
      path,
      replyTerminator: "\r\n",
      socat: socat!,
    });
  let pty: ServedPty | undefined;
  const link = new ReopeningSerialLink("cryostat", path, () =>
    openSerialPort(
      "cryostat",
      { path, baudRate: 57600, dataBits: 7, parity: "odd", stopBits: 1, timeoutMs: 500, terminator: "\r\n" },
      pino({ level: "silent" }),
    ),
  );
  const controller = new LakeShore336("cryostat", link, {
    inputs: { sample: "A", detectorStage: "B" },
    heaterOutput: 1,
  });
  afterAll(async () => {
    await link.close();
    await pty?.close();
  });

  it("reads, fails with DeviceGone while unplugged, and reads again once the port is back", async () => {
    pty = await serve();
    const before = await controller.readTemperatureK("B");
    expect(before).toBeGreaterThan(1);
    expect(before).toBeLessThan(4); // the detector stage near 2.5 K

    await pty.unplug();
    expect(await controller.readTemperatureK("B").catch((e: unknown) => e)).toBeInstanceOf(DeviceGone);
    // Still unplugged: the port cannot be opened, still DeviceGone (or the open's own error), never a value.
    expect(await controller.readTemperatureK("B").catch((e: unknown) => e)).toBeInstanceOf(Error);

    await pty.close();
    pty = await serve(); // plugged back: the same path again
    const after = await controller.readTemperatureK("B");
    expect(Math.abs(after - before)).toBeLessThan(0.5);
  }, 30_000);
});
