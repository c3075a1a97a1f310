/** The unit file as systemd reads it: `verify` exits 0 even on unknown keys, so any output fails. */
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { findTool } from "../helpers/processes.js";

const analyze = findTool("systemd-analyze", "REQUIRE_SYSTEMD_ANALYZE");
const UNIT = "systemd/photon-bench.service";

describe.skipIf(!analyze)("systemd unit", () => {
  it("passes systemd-analyze verify with nothing said", () => {
    const result = spawnSync(analyze!, ["verify", UNIT], { encoding: "utf8" });
    expect(result.stderr.trim()).toBe("");
    expect(result.status).toBe(0);
  });

  it("is hardened: systemd-analyze security rates its exposure below 4 (OK)", () => {
    const out = execFileSync(analyze!, ["security", "--offline=true", UNIT], { encoding: "utf8" });
    const exposure = Number(/Overall exposure level for photon-bench\.service: ([\d.]+)/.exec(out)?.[1]);
    expect(exposure).toBeLessThan(4);
  });
});
