/**
 * Header/BCM GPIO numbers → the kernel's sysfs numbers. Raspberry Pi kernels ≥ 6.6 register the
 * SoC's GPIO chip at a base above 0 (512 on Pi 4 and earlier, 571 for the RP1 on Pi 5), so sysfs
 * GPIO 17 is /sys/class/gpio/gpio529 there. The base is read from the chip's sysfs entry, never
 * assumed.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { BusError } from "../errors.js";

/** Labels of the GPIO chip that carries the 40-pin header on Raspberry Pi models. */
export const RASPBERRY_PI_GPIO_LABELS = [
  "pinctrl-bcm2835",
  "pinctrl-bcm2711",
  "pinctrl-bcm2712",
  "pinctrl-rp1",
];

export interface GpioChip {
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

export async function listGpioChips(sysfsRoot = "/sys/class/gpio"): Promise<GpioChip[]> {
  let entries: string[];
  try {
    entries = await readdir(sysfsRoot);
  } catch {
    return [];
  }
  const chips: GpioChip[] = [];
  for (const name of entries.filter((e) => e.startsWith("gpiochip"))) {
    const read = (file: string) => readFile(join(sysfsRoot, name, file), "utf8").then((s) => s.trim());
    try {
      chips.push({
        name,
        label: await read("label"),
        base: Number(await read("base")),
        ngpio: Number(await read("ngpio")),
      });
    } catch {
      // a chip directory without the usual attributes is not one we can use
    }
  }
  return chips;
}

export interface GpioNumbering {
  chipLabel?: string | undefined;
  base?: number | undefined;
}

export async function toSysfsNumber(
  device: string,
  line: number,
  numbering: GpioNumbering,
  sysfsRoot = "/sys/class/gpio",
): Promise<number> {
  if (numbering.base !== undefined) return numbering.base + line;
  const chips = await listGpioChips(sysfsRoot);
  const wanted = numbering.chipLabel ? [numbering.chipLabel] : RASPBERRY_PI_GPIO_LABELS;
  const chip = chips.find((c) => wanted.includes(c.label));
  if (!chip) {
    const seen = chips.map((c) => `${c.name} "${c.label}" base ${c.base}`).join(", ") || "none";
    throw new BusError(
      `no GPIO chip labelled ${wanted.join(" or ")} under ${sysfsRoot} (found: ${seen}); set gpio.chipLabel or gpio.base`,
      { device },
    );
  }
  if (line >= chip.ngpio)
    throw new BusError(`GPIO line ${line} is beyond ${chip.label}'s ${chip.ngpio} lines`, { device });
  return chip.base + line;
}
