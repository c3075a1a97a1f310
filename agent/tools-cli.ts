/**
 * Tools for a technician setting up a bench: the bench file's JSON Schema, the serial ports, the
 * addresses on an I²C bus, the level of a GPIO line. The hardware back ends are loaded only by the
 * command that needs them.
 */
import { realpath } from "node:fs/promises";
import { pino } from "pino";
import { z } from "zod";
import { benchConfigSchema } from "../config/schema.js";
import { HalError } from "../hal/errors.js";

/** The bench document's JSON Schema: what a technician writes (before defaults). */
export function benchJsonSchema(): object {
  return {
    ...z.toJSONSchema(benchConfigSchema, { io: "input", unrepresentable: "any" }),
    title: "photon-bench bench file",
  };
}

export async function schemaCommand(): Promise<void> {
  process.stdout.write(`${JSON.stringify(benchJsonSchema(), null, 2)}\n`);
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

const quiet = () => pino({ level: "silent" });

/** Addresses 0x08–0x77 that acknowledge a one-byte read, as i2cdetect -r does. */
export async function i2cScanCommand(busText: string): Promise<number> {
  const bus = Number(busText);
  if (!Number.isInteger(bus) || bus < 0 || bus > 255) {
    process.stderr.write(`photon-bench i2c-scan: the bus is a number 0–255 (/dev/i2c-N), got "${busText}"\n`);
    return 2;
  }
  const { createHardwareProvider } = await import("../hal/backends/hardware-provider.js");
  const provider = createHardwareProvider({}, quiet());
  try {
    const i2c = await provider.i2c("i2c-scan", bus);
    const found: string[] = [];
    for (let address = 0x08; address <= 0x77; address++)
      if (
        await i2c.readRaw(address, 1).then(
          () => true,
          () => false,
        )
      )
        found.push(`0x${address.toString(16).padStart(2, "0")}`);
    process.stdout.write(
      found.length ? `/dev/i2c-${bus}: ${found.join(" ")}\n` : `/dev/i2c-${bus}: no device answers\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`photon-bench i2c-scan: ${err instanceof HalError ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await provider.close();
  }
}

export async function gpioProbeCommand(lineText: string, options: { chipLabel?: string }): Promise<number> {
  const line = Number(lineText);
  if (!Number.isInteger(line) || line < 0 || line > 511) {
    process.stderr.write(
      `photon-bench gpio-probe: the line is a header/BCM number 0–511, got "${lineText}"\n`,
    );
    return 2;
  }
  const { createHardwareProvider } = await import("../hal/backends/hardware-provider.js");
  const provider = createHardwareProvider({ chipLabel: options.chipLabel }, quiet());
  try {
    const gpio = await provider.gpio("gpio-probe", line, { direction: "in" });
    process.stdout.write(`GPIO ${line}: ${(await gpio.read()) === 1 ? "high" : "low"}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`photon-bench gpio-probe: ${err instanceof HalError ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await provider.close();
  }
}
