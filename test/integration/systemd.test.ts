/**
 * The unit file and the udev rules as the system reads them. The unit is checked as install.sh
 * writes it (ExecStart's node replaced by the absolute path it found): `verify` exits 0 even on
 * unknown keys, so any output fails. The udev rule's command is run on a fake sysfs laid out as
 * a Raspberry Pi 4's and a Pi 5's kernels lay out an exported line.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findTool } from "../helpers/processes.js";

const analyze = findTool("systemd-analyze", "REQUIRE_SYSTEMD_ANALYZE");
const UNIT_TEXT = readFileSync("systemd/photon-bench.service", "utf8");

/** The unit as install.sh writes it (the same sed: ExecStart=/usr/bin/node → the node it found). */
function installedUnit(): string {
  const dir = mkdtempSync(join(tmpdir(), "unit-"));
  const file = join(dir, "photon-bench.service");
  writeFileSync(file, UNIT_TEXT.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
  return file;
}

describe.skipIf(!analyze)("systemd unit", () => {
  it("passes systemd-analyze verify with nothing said", () => {
    const result = spawnSync(analyze!, ["verify", installedUnit()], { encoding: "utf8" });
    expect(result.stderr.trim()).toBe("");
    expect(result.status).toBe(0);
  });

  it("is hardened: systemd-analyze security rates its exposure below 4 (OK)", () => {
    const out = execFileSync(analyze!, ["security", "--offline=true", installedUnit()], { encoding: "utf8" });
    const exposure = Number(/Overall exposure level for photon-bench\.service: ([\d.]+)/.exec(out)?.[1]);
    expect(exposure).toBeLessThan(4);
  });
});

describe("install paths", () => {
  it("runs node by an absolute path (install.sh writes the one it found), never through /usr/bin/env", () => {
    expect(UNIT_TEXT).toMatch(
      /^ExecStart=\/usr\/bin\/node \/opt\/photon-bench\/current\/dist\/agent\/cli\.js run /m,
    );
    expect(UNIT_TEXT).not.toMatch(/^ExecStart=\/usr\/bin\/env/m);
    const sed = readFileSync("systemd/install.sh", "utf8");
    expect(sed).toContain("s|^ExecStart=/usr/bin/node |ExecStart=$node_bin |");
  });

  it("leaves writable, under ProtectKernelTunables, where a Pi 4's and a Pi 5's exported GPIO value files really are", () => {
    const writable = /^ReadWritePaths=(.*)$/m.exec(UNIT_TEXT)![1]!.split(/\s+/);
    const valueFiles = [
      "/sys/class/gpio/export",
      "/sys/devices/platform/soc/fe200000.gpio/gpiochip0/gpio/gpio529/value", // Pi 4, kernel 6.6
      "/sys/devices/platform/axi/1000120000.pcie/1f000d0000.gpio/gpiochip0/gpio/gpio588/value", // Pi 5
    ];
    for (const file of valueFiles) expect(writable.some((dir) => file.startsWith(`${dir}/`))).toBe(true);
  });

  it("the udev rule makes an exported line group-writable on a Pi 4's and a Pi 5's sysfs layout alike", () => {
    const rules = readFileSync("systemd/99-photon-bench.rules", "utf8");
    const program = /SUBSYSTEM=="gpio", ACTION=="add", PROGRAM="\/bin\/sh -c '([^']+)'"/.exec(rules)![1]!;
    expect(program).not.toMatch(/soc\/|axi\//); // no board's path written in
    const group = execFileSync("id", ["-gn"], { encoding: "utf8" }).trim();
    for (const devpath of [
      "/devices/platform/soc/fe200000.gpio/gpiochip0/gpio/gpio529",
      "/devices/platform/axi/1000120000.pcie/1f000d0000.gpio/gpiochip0/gpio/gpio588",
    ]) {
      const sys = mkdtempSync(join(tmpdir(), "sysfs-"));
      mkdirSync(join(sys, "class/gpio"), { recursive: true });
      mkdirSync(join(sys, devpath), { recursive: true });
      writeFileSync(join(sys, devpath, "value"), "0", { mode: 0o644 });
      // As udev runs it: %p is the event's devpath; here /sys is the fake tree and gpio this user's group.
      const command = program
        .replaceAll("/sys", sys)
        .replaceAll("%p", devpath)
        .replaceAll("chgrp -R gpio", `chgrp -R ${group}`);
      execFileSync("/bin/sh", ["-c", command]);
      expect(statSync(join(sys, devpath, "value")).mode & 0o020).toBe(0o020);
    }
  });
});
