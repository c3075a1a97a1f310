/**
 * Tools for a technician setting up a bench: the bench file's JSON Schema, the serial ports, the
 * addresses on an I²C bus, the level of a GPIO line. The hardware back ends are loaded only by the
 * command that needs them.
 */
import { mkdir, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { z } from "zod";
import { benchConfigSchema } from "../config/schema.js";
import { DeviceGone, DeviceTimeout, HalError } from "../hal/errors.js";
import type { BusProvider } from "../hal/interfaces.js";
import { PAYLOAD_SCHEMA_VERSION, payloadJsonSchema, payloadSchemas } from "./mqtt/payload-schemas.js";

/** The bench document's JSON Schema: what a technician writes (before defaults). */
export function benchJsonSchema(): object {
  return {
    ...z.toJSONSchema(benchConfigSchema, { io: "input", unrepresentable: "any" }),
    title: "photon-bench bench file",
  };
}

/** The bench file's JSON Schema on stdout; with `payloads`, every MQTT payload's schema written to `<dir>/v<N>/`. */
export async function schemaCommand(opts: { payloads?: string } = {}): Promise<void> {
  if (opts.payloads === undefined) {
    process.stdout.write(`${JSON.stringify(benchJsonSchema(), null, 2)}\n`);
    return;
  }
  const dir = join(opts.payloads, `v${PAYLOAD_SCHEMA_VERSION}`);
  await mkdir(dir, { recursive: true });
  for (const kind of Object.keys(payloadSchemas) as Array<keyof typeof payloadSchemas>) {
    await writeFile(
      join(dir, `${kind}.schema.json`),
      `${JSON.stringify(payloadJsonSchema(kind), null, 2)}\n`,
    );
    process.stdout.write(`${join(dir, `${kind}.schema.json`)}\n`);
  }
}

export async function portsCommand(): Promise<void> {
  const { listSerialPorts } = await import("../hal/backends/serialport.js");
  const ports = await listSerialPorts();
  if (ports.length === 0) process.stdout.write("no serial ports found\n");
  for (const port of ports) {
    const target = await realpath(port).catch(() => port);
    process.stdout.write(target === port ? `${port}\n` : `${port} -> ${target}\n`);
  }
}

/** A whole number in [min, max] from the command line, or undefined after saying why (exit 2). */
function wholeNumber(command: string, what: string, text: string, max: number): number | undefined {
  const value = Number(text);
  if (Number.isInteger(value) && value >= 0 && value <= max) return value;
  process.stderr.write(`photon-bench ${command}: ${what} 0–${max}, got "${text}"\n`);
  return undefined;
}

/** Runs `work` on the real buses (the provider closed after); a bus error is one line and exit 1. */
async function onHardware(
  command: string,
  numbering: { chipLabel?: string | undefined },
  work: (provider: BusProvider) => Promise<string>,
): Promise<number> {
  const { createHardwareProvider } = await import("../hal/backends/hardware-provider.js");
  const provider = createHardwareProvider(numbering, pino({ level: "silent" }));
  try {
    process.stdout.write(`${await work(provider)}\n`);
    return 0;
  } catch (err) {
    // A HAL error names the device already ("i2c-scan: read 1 bytes i2c-1 0x08: ENOENT …").
    process.stderr.write(
      `photon-bench ${err instanceof HalError ? err.message : `${command}: ${String(err)}`}\n`,
    );
    return 1;
  } finally {
    await provider.close();
  }
}

/** Addresses 0x08–0x77 that acknowledge a one-byte read, as i2cdetect -r does. */
export async function i2cScanCommand(busText: string): Promise<number> {
  const bus = wholeNumber("i2c-scan", "the bus is a number (/dev/i2c-N)", busText, 255);
  if (bus === undefined) return 2;
  return onHardware("i2c-scan", {}, async (provider) => {
    const i2c = await provider.i2c("i2c-scan", bus);
    const found: string[] = [];
    for (let address = 0x08; address <= 0x77; address++)
      if (
        await i2c.readRaw(address, 1).then(
          () => true,
          (err: unknown) => {
            // No acknowledge is "nobody there"; anything else (no such bus, no permission) ends the scan.
            if (err instanceof DeviceGone || err instanceof DeviceTimeout) return false;
            throw err;
          },
        )
      )
        found.push(`0x${address.toString(16).padStart(2, "0")}`);
    return `/dev/i2c-${bus}: ${found.length ? found.join(" ") : "no device answers"}`;
  });
}

export async function gpioProbeCommand(lineText: string, options: { chipLabel?: string }): Promise<number> {
  const line = wholeNumber("gpio-probe", "the line is a header/BCM number", lineText, 511);
  if (line === undefined) return 2;
  return onHardware("gpio-probe", { chipLabel: options.chipLabel }, async (provider) => {
    const gpio = await provider.gpio("gpio-probe", line, { direction: "in" });
    return `GPIO ${line}: ${(await gpio.read()) === 1 ? "high" : "low"}`;
  });
}
