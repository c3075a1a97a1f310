/** photon-bench self-check as a process: what it says about a running sim bench, and about an installation that cannot work. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AGENT_VERSION } from "../../agent/version.js";
import { benchPerTest } from "../helpers/agent-bench.js";
import { SIM_EXAMPLE } from "../helpers/bench-config.js";
import { AGENT_CLI, freePort, requireBuild } from "../helpers/processes.js";

/** Runs it without blocking this process (the sim bench's embedded broker lives here). */
const selfCheck = (args: string[]) => {
  requireBuild();
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    execFile("node", [AGENT_CLI, "self-check", ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
};

describe("photon-bench self-check", () => {
  const bench = benchPerTest();

  it("passes every check against a running agent, its version included", async () => {
    const { agent } = await bench("self-check");
    const dir = mkdtempSync(join(tmpdir(), "self-check-"));
    const file = join(dir, "bench.yaml");
    writeFileSync(
      file,
      readFileSync(SIM_EXAMPLE, "utf8")
        .replace("benchId: sim-bench-01", "benchId: self-check")
        .replace(/broker: embedded.*/, `broker: ${agent.brokerUrl}`),
    );
    const result = await selfCheck([
      "--config",
      file,
      "--state-dir",
      dir,
      "--expect-version",
      AGENT_VERSION,
      "--wait-s",
      "10",
    ]);
    expect(result.stdout, result.stdout + result.stderr).toContain(
      `ok   agent: online, version ${AGENT_VERSION}`,
    );
    expect(result.stdout).toContain("ok   device cryostat: simulated");
    expect(result.stdout).not.toContain("FAIL");
    expect(result.status).toBe(0);
  }, 30_000);

  it("names each missing bus and the broker it cannot reach, and exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "self-check-"));
    // The hardware example on a machine without its instruments or its TLS files.
    const result = await selfCheck([
      "--config",
      "config/examples/hardware-bench.yaml",
      "--state-dir",
      dir,
      "--wait-s",
      "1",
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^ok {3}config: /m);
    expect(result.stdout).toMatch(/^FAIL device cryostat: \/dev\/serial\/by-id\/[^:]+: ENOENT/m);
    expect(result.stdout).toMatch(/^FAIL broker: mqtts:\/\/scada-broker\.lab\.local:8883: .*lab-ca\.crt/m);
    const port = await freePort();
    const sim = mkdtempSync(join(tmpdir(), "self-check-"));
    const unreachable = await selfCheck([
      "--config",
      SIM_EXAMPLE,
      "--state-dir",
      sim,
      "--broker",
      `mqtt://127.0.0.1:${port}`,
      "--wait-s",
      "1",
    ]);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stdout).toMatch(new RegExp(`^FAIL broker: mqtt://127.0.0.1:${port}: `, "m"));
  }, 30_000);

  it("says where a bench file is wrong", async () => {
    const dir = mkdtempSync(join(tmpdir(), "self-check-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      readFileSync(SIM_EXAMPLE, "utf8").replace("laserMaxPowerMw: 10", "laserMaxPowerMw: -1"),
    );
    const result = await selfCheck(["--config", file, "--state-dir", dir, "--json"]);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      checks: Array<{ check: string; ok: boolean; detail: string }>;
    };
    expect(report.ok).toBe(false);
    expect(report.checks[0]).toMatchObject({
      check: "config",
      ok: false,
      detail: expect.stringContaining("safety.laserMaxPowerMw"),
    });
  });
});
