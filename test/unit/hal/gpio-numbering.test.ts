/** Header/BCM numbers → sysfs numbers, read from a sysfs-shaped tree of real files. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toSysfsNumber } from "../../../hal/backends/gpio-numbering.js";
import { BusError } from "../../../hal/errors.js";

function sysfs(chips: Array<{ name: string; label: string; base: number; ngpio: number }>): string {
  const root = mkdtempSync(join(tmpdir(), "pb-gpio-"));
  for (const chip of chips) {
    mkdirSync(join(root, chip.name));
    writeFileSync(join(root, chip.name, "label"), `${chip.label}\n`);
    writeFileSync(join(root, chip.name, "base"), `${chip.base}\n`);
    writeFileSync(join(root, chip.name, "ngpio"), `${chip.ngpio}\n`);
  }
  writeFileSync(join(root, "export"), "");
  return root;
}

describe("GPIO numbering", () => {
  it("adds the SoC chip's base: BCM 17 is sysfs 529 on a Pi 4 with a ≥ 6.6 kernel (base 512)", async () => {
    const root = sysfs([
      { name: "gpiochip512", label: "pinctrl-bcm2711", base: 512, ngpio: 58 },
      { name: "gpiochip570", label: "raspberrypi-exp-gpio", base: 570, ngpio: 8 },
    ]);
    expect(await toSysfsNumber("laser", 17, {}, root)).toBe(529);
  });

  it("uses base 0 on older kernels, and a configured base or chip label when given", async () => {
    const old = sysfs([{ name: "gpiochip0", label: "pinctrl-bcm2835", base: 0, ngpio: 54 }]);
    expect(await toSysfsNumber("door", 27, {}, old)).toBe(27);
    expect(await toSysfsNumber("door", 27, { base: 571 }, old)).toBe(598);
    const board = sysfs([{ name: "gpiochip32", label: "gpio-sunxi", base: 32, ngpio: 224 }]);
    expect(await toSysfsNumber("door", 5, { chipLabel: "gpio-sunxi" }, board)).toBe(37);
  });

  it("names what it found when no chip matches, and refuses a line beyond the chip", async () => {
    const root = sysfs([{ name: "gpiochip32", label: "gpio-sunxi", base: 32, ngpio: 224 }]);
    const err = await toSysfsNumber("door", 27, {}, root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    expect((err as Error).message).toContain('found: gpiochip32 "gpio-sunxi" base 32');
    const pi = sysfs([{ name: "gpiochip512", label: "pinctrl-bcm2711", base: 512, ngpio: 58 }]);
    await expect(toSysfsNumber("door", 60, {}, pi)).rejects.toThrow("beyond pinctrl-bcm2711's 58 lines");
  });
});
