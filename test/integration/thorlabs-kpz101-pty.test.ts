/**
 * Thorlabs KPZ101 K-Cubes (one per axis) through the real serialport library with RTS/CTS, each on
 * a pty that socat serves from a simulated cube speaking APT binary messages: the set-up sequence
 * (model, enable, open loop, output limit read back), moves as 0…32767 of the limit read back in the
 * same request, refusals outside the limits, and a unit that is not a KPZ101.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSerialPort } from "../../hal/backends/serialport.js";
import { ThorlabsKpz101 } from "../../hal/devices/thorlabs-kpz101.js";
import type { SerialLink } from "../../hal/interfaces.js";
import { type ServedPty, servePty } from "../../sim/pty.js";
import { ThorlabsKpz101Twin } from "../../sim/twins/thorlabs-kpz101.js";
import { findTool } from "../helpers/processes.js";

const socat = findTool("socat", "REQUIRE_SOCAT");

/** A simulated cube served on a new pty, and the real serialport on it (115200 8N1, RTS/CTS). */
async function servedCube(
  cube: ThorlabsKpz101Twin,
  name: string,
): Promise<{ pty: ServedPty; link: SerialLink }> {
  const path = join(mkdtempSync(join(tmpdir(), "pb-pty-")), name);
  const pty = await servePty(cube, { path, replyTerminator: "", socat: socat! });
  const settings = {
    path,
    baudRate: 115200,
    dataBits: 8,
    parity: "none",
    stopBits: 1,
    timeoutMs: 500,
  } as const;
  const link = await openSerialPort(
    "stage",
    { ...settings, terminator: "", rtscts: true },
    pino({ level: "silent" }),
  );
  return { pty, link };
}

describe.skipIf(!socat)("Thorlabs KPZ101 cubes over serialport on ptys served by the sim", () => {
  const cubes = { x: new ThorlabsKpz101Twin(29_250_001), y: new ThorlabsKpz101Twin(29_250_002) };
  const ptys: ServedPty[] = [];
  const links: SerialLink[] = [];
  let stage: ThorlabsKpz101;

  beforeAll(async () => {
    const open = async (axis: "x" | "y") => {
      const { pty, link } = await servedCube(cubes[axis], `ttyKPZ-${axis}`);
      ptys.push(pty);
      links.push(link);
      return link;
    };
    // 20 µm at 75 V on x; y with a soft limit at 15 µm.
    stage = new ThorlabsKpz101(
      "stage",
      {
        x: { link: await open("x"), umPerV: 20 / 75 },
        y: { link: await open("y"), umPerV: 20 / 75, maxUm: 15 },
      },
      75,
    );
  });
  afterAll(async () => {
    for (const link of links) await link.close();
    for (const pty of ptys) await pty.close();
  });

  it("sets each cube up on first use: enabled, open loop, the 75 V limit read back", async () => {
    cubes.x.limitCode = 3; // left at 150 V by someone: the driver brings it down to the configured 75 V
    expect(await stage.cube("x")).toEqual({ serialNumber: 29_250_001, model: "KPZ101", firmware: "1.0.4" });
    expect(cubes.x).toMatchObject({ enabled: true, openLoop: true, limitCode: 1, hubInput: 1 });
    expect(cubes.x.received.slice(0, 4)).toEqual([0x0005, 0x0210, 0x0211, 0x07d5]);
    expect(await stage.limitsUm("x")).toEqual({ minUm: 0, maxUm: 20 });
    expect(await stage.limitsUm("y")).toEqual({ minUm: 0, maxUm: 15 });
  });

  it("moves in µm as a fraction of the limit, read back in the same request", async () => {
    await stage.moveToUm("x", 10); // 10 µm / (20/75 µm/V) = 37.5 V = 16383.5/32767 of 75 V → 16384
    expect(cubes.x.outputCounts).toBe(16384);
    expect(cubes.x.outputV).toBeCloseTo(37.5011, 4);
    expect(await stage.readPositionUm("x")).toBeCloseTo(10.0003, 4);
    await stage.moveToUm("y", 15);
    expect(cubes.y.outputV).toBeCloseTo(56.25, 2);
    const telemetry = await stage.readTelemetry();
    expect(telemetry).toMatchObject({
      voltageLimitV: 75,
      xVoltageV: 37.501,
      ySerialNumber: 29_250_002,
      holding: false,
    });
  });

  it("refuses moves outside the limits and while holding; nothing reaches the cube", async () => {
    const before = cubes.y.received.length;
    await expect(stage.moveToUm("y", 16)).rejects.toThrow("outside the soft limits 0…15 µm");
    await expect(stage.moveToUm("x", -1)).rejects.toThrow(RangeError);
    stage.hold();
    await expect(stage.moveToUm("x", 5)).rejects.toThrow("holding");
    expect(cubes.y.received.length).toBe(before);
  });
});

describe.skipIf(!socat)("a unit that is not a KPZ101", () => {
  it("is refused at set-up with what it says it is", async () => {
    const other = new ThorlabsKpz101Twin(83_000_001);
    const handle = other.handle.bind(other);
    other.handle = (m) => {
      const reply = handle(m);
      return reply && m.charCodeAt(0) === 0x05 ? reply.replace("KPZ101", "KDC101") : reply;
    };
    const { pty, link } = await servedCube(other, "ttyKDC");
    try {
      const stage = new ThorlabsKpz101("stage", { x: { link, umPerV: 0.2 } }, 75);
      await expect(stage.moveToUm("x", 1)).rejects.toThrow("x cube: is a KDC101, not a KPZ101");
      expect(other.received).toEqual([0x0005]); // nothing was enabled or moved
    } finally {
      await link.close();
      await pty.close();
    }
  });
});
