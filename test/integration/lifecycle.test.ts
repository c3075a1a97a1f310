/**
 * The agent's lifecycle as systemd sees it: the notify protocol against a real unix datagram
 * socket (socat listening where $NOTIFY_SOCKET points) — READY=1 with a STATUS, WATCHDOG=1 pings
 * from the interlock loop, STOPPING=1 at SIGTERM — and SIGTERM at points of the start-up, each
 * ending in the safe state and exit 0.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SIM_EXAMPLE } from "../helpers/bench-config.js";
import { findTool, freePort, spawnAgent } from "../helpers/processes.js";

const socat = findTool("socat", "REQUIRE_SOCAT");
const systemdNotify = findTool("systemd-notify", "REQUIRE_SYSTEMD_NOTIFY");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!socat || !systemdNotify)("lifecycle under systemd's notify protocol", () => {
  const listeners: ChildProcess[] = [];
  afterEach(() => {
    for (const l of listeners.splice(0)) l.kill("SIGKILL");
  });

  /** A unix datagram socket that appends every message it receives to a file. */
  async function notifySocket() {
    const dir = mkdtempSync(join(tmpdir(), "pb-notify-"));
    const path = join(dir, "notify.sock");
    const out = join(dir, "received");
    const listener = spawn("bash", ["-c", `exec ${socat} -u UNIX-RECV:${path} CREATE:${out}`], {
      stdio: "ignore",
    });
    listeners.push(listener);
    for (let i = 0; i < 100; i++) {
      try {
        readFileSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") break; // exists (a socket cannot be read)
      }
      await sleep(20);
    }
    return { path, received: () => readFileSync(out, "utf8").toString() };
  }

  it("READY=1 once running, WATCHDOG=1 from the interlock loop, STOPPING=1 at SIGTERM", async () => {
    const socket = await notifySocket();
    const port = await freePort();
    const agent = spawnAgent(["run", "--config", SIM_EXAMPLE], {
      NOTIFY_SOCKET: socket.path,
      WATCHDOG_USEC: "400000", // a ping at most every 200 ms
      PHOTON_BENCH_MQTT__EMBEDDED__PORT: String(port),
    });
    const deadline = Date.now() + 15_000;
    while (!socket.received().includes("READY=1") && Date.now() < deadline) await sleep(50);
    expect(socket.received()).toContain(`MAINPID=${agent.child.pid}`);
    expect(socket.received()).toMatch(
      /READY=1\nSTATUS=running: bench sim-bench-01 on mqtt:\/\/127\.0\.0\.1:\d+/,
    );
    const pingsAtReady = socket.received().split("WATCHDOG=1").length - 1;
    await sleep(1500);
    // Six to eight pings in 1.5 s at one per 200 ms; a stalled interlock loop would send none.
    expect(socket.received().split("WATCHDOG=1").length - 1 - pingsAtReady).toBeGreaterThanOrEqual(3);
    agent.child.kill("SIGTERM");
    expect((await agent.exit).code).toBe(0);
    expect(socket.received()).toContain("STOPPING=1\nSTATUS=stopping (SIGTERM): making the bench safe");
  }, 30_000);
});

describe("SIGTERM during start-up", () => {
  it("SIGTERM as each start-up milestone appears: every one ends in the safe state and exit 0", async () => {
    // The start-up's milestones in the debug log; SIGTERM as each appears. (On the simulated bench
    // the start-up runs on in microtasks until the signal is read; startInOrder's abort itself is
    // tested in test/unit/agent/service-order.test.ts.)
    for (const milestone of [
      '"service":"devices"',
      '"service":"interlocks"',
      '"service":"time-tags"',
      "agent running",
    ]) {
      const port = await freePort();
      const agent = spawnAgent(["run", "--config", SIM_EXAMPLE, "--log-level", "debug"], {
        PHOTON_BENCH_MQTT__EMBEDDED__PORT: String(port),
      });
      const deadline = Date.now() + 15_000;
      while (!agent.stdout().includes(milestone) && Date.now() < deadline)
        await new Promise((r) => setImmediate(r));
      agent.child.kill("SIGTERM");
      const { code } = await agent.exit;
      expect(code, `${milestone}: ${agent.stderr()}`).toBe(0);
      const log = agent.stdout();
      // The devices were built, so their safe state was driven: the laser and both detectors made safe.
      expect(log, milestone).toMatch(
        /"lasers":\["laser"\],"detectors":\["detectorA","detectorB"\],"stages":\["stage"\],"msg":"bench safe/,
      );
      expect(log, milestone).toMatch(
        /stopped during start-up: the bench is in its safe state|stopped: lasers off, detector bias off/,
      );
    }
  }, 90_000);
});
