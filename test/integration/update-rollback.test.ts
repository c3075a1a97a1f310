/**
 * The release package as an operator uses it, against a real Mosquitto: `make package`'s tarball
 * installed side by side under a prefix with `current` pointing at it, then an update to a
 * version that does not come up, which rolls back by itself and says so in the agent's retained
 * status. systemd is replaced by a restart script (BENCH_INSTALL_SYSTEMD=0), node_modules by a
 * link to this checkout's (an offline install).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_EXAMPLE } from "../helpers/bench-config.js";
import { type Broker, findTool, requireBuild, startMosquitto, subscriber } from "../helpers/processes.js";

const mosquitto = findTool("mosquitto", "REQUIRE_MOSQUITTO");
const GOOD = "97.0.0-good";
const BROKEN = "97.0.1-broken";

describe.skipIf(!mosquitto)("release package: install, update, roll back", () => {
  let broker: Broker;
  const root = mkdtempSync(join(tmpdir(), "release-"));
  const dirs = { prefix: join(root, "opt"), etc: join(root, "etc"), state: join(root, "state") };
  const env = () => ({
    ...process.env,
    BENCH_INSTALL_SYSTEMD: "0",
    BENCH_INSTALL_PREFIX: dirs.prefix,
    BENCH_INSTALL_ETC: dirs.etc,
    BENCH_INSTALL_STATE: dirs.state,
    BENCH_INSTALL_RESTART: join(root, "restart.sh"),
    BENCH_INSTALL_NODE_MODULES: resolve("node_modules"),
    PHOTON_BENCH_WEB__PORT: "0",
  });
  const unpack = (version: string) => {
    const tarball = execFileSync("bash", ["systemd/package.sh"], {
      env: { ...process.env, PACKAGE_VERSION: version, PACKAGE_OUT: join(root, "packages") },
      encoding: "utf8",
    }).trim();
    execFileSync("tar", ["-xzf", tarball, "-C", join(root, "packages")]);
    return join(root, "packages", `photon-bench-${version}`);
  };
  const install = (pkg: string, args: string[]) =>
    spawnSync("bash", [join(pkg, "systemd/install.sh"), ...args], { env: env(), encoding: "utf8" });

  beforeAll(async () => {
    requireBuild();
    broker = await startMosquitto(mosquitto!);
    mkdirSync(join(root, "packages"));
    writeFileSync(
      join(root, "restart.sh"),
      `#!/bin/bash
# What systemctl restart does for the test: stop the running agent, start the current version.
pidfile="$BENCH_INSTALL_STATE/agent.pid"
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
nohup node "$BENCH_INSTALL_PREFIX/current/dist/agent/cli.js" run --config "$BENCH_INSTALL_ETC/bench.yaml" \\
  --state-dir "$BENCH_INSTALL_STATE" >> "$BENCH_INSTALL_STATE/agent.log" 2>&1 < /dev/null &
echo $! > "$pidfile"
`,
      { mode: 0o755 },
    );
    const bench = readFileSync(SIM_EXAMPLE, "utf8")
      .replace("benchId: sim-bench-01", "benchId: release-bench")
      .replace(/broker: embedded.*/, `broker: ${broker.url}`);
    writeFileSync(join(root, "bench.yaml"), bench);
  }, 60_000);

  afterAll(async () => {
    const pidfile = join(dirs.state, "agent.pid");
    if (existsSync(pidfile)) spawnSync("kill", [readFileSync(pidfile, "utf8").trim()]);
    await broker?.stop();
  });

  it("installs side by side, refuses to replace the bench file silently, and rolls back an update that does not come up", async () => {
    const good = unpack(GOOD);
    const first = install(good, ["--config", join(root, "bench.yaml"), "--ready-timeout-s", "60"]);
    expect(first.stderr).toContain(`photon-bench ${GOOD} is running and passed its self-check`);
    expect(first.status).toBe(0);
    expect(readlinkSync(join(dirs.prefix, "current"))).toBe(GOOD);
    expect(JSON.parse(readFileSync(join(dirs.state, "update.json"), "utf8"))).toMatchObject({
      result: "updated",
      to: GOOD,
    });

    const broken = unpack(BROKEN);
    // Broken at run time (its check-config still passes): the agent throws as it starts.
    const main = join(broken, "dist/agent/main.js");
    const code = readFileSync(main, "utf8");
    const start = "export async function startAgent(baseConfig, options) {";
    expect(code).toContain(start);
    writeFileSync(main, code.replace(start, `${start}\n    throw new Error("a broken release");`));
    writeFileSync(
      join(root, "other.yaml"),
      readFileSync(join(root, "bench.yaml"), "utf8").replace("seed: 1", "seed: 2"),
    );
    const update = install(broken, ["--config", join(root, "other.yaml"), "--ready-timeout-s", "8"]);
    expect(update.status).toBe(1);
    expect(update.stderr).toContain(`rolling back to ${GOOD}`);
    // The bench file was kept, the new one put beside it, and the operator told.
    expect(update.stderr).toContain("KEPT the existing bench file");
    expect(readFileSync(join(dirs.etc, "bench.yaml"), "utf8")).toContain("seed: 1");
    expect(readFileSync(join(dirs.etc, "bench.yaml.new"), "utf8")).toContain("seed: 2");
    expect(readlinkSync(join(dirs.prefix, "current"))).toBe(GOOD);
    expect(readlinkSync(join(dirs.prefix, "previous"))).toBe(BROKEN);

    // On MQTT: the good version online again, saying it rolled back and why.
    const sub = await subscriber(broker.url, "photon-bench/release-bench/status");
    const status = await sub.waitFor(
      (m) => m.payload.state === "online" && m.payload.version === GOOD,
      15_000,
    );
    expect(status.payload.lastUpdate).toMatchObject({
      result: "rolled-back",
      from: BROKEN,
      to: GOOD,
      reason: expect.stringContaining("did not come up"),
    });
    await sub.close();
  }, 120_000);
});
