/**
 * `photon-bench ctl` against the built agent on the simulated bench (embedded broker), as an
 * operator uses it: the door scenario (a door-open fault latches the interlock; reset; laser back
 * on within one telemetry period), refusals (exit 4), bad arguments (exit 2), no broker (exit 5),
 * and a config push with its history and rollback.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_EXAMPLE } from "../helpers/bench-config.js";
import { type AgentProcess, freePort, spawnAgent, subscriber, untilSaid } from "../helpers/processes.js";

const BENCH = "sim-bench-01";
const ROOT = `photon-bench/${BENCH}`;

describe("photon-bench ctl", () => {
  let agent: AgentProcess;
  let url: string;
  let sub: Awaited<ReturnType<typeof subscriber>>;

  const ctl = async (...args: string[]) => {
    const run = spawnAgent(["ctl", "--broker", url, ...args]);
    const { code } = await run.exit;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };

  beforeAll(async () => {
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    agent = spawnAgent(["run", "--config", SIM_EXAMPLE], {
      PHOTON_BENCH_MQTT__EMBEDDED__PORT: String(port),
      // The door opens 1 s after start for 1 s; the telemetry period is 500 ms.
      PHOTON_BENCH_SIM__FAULTS: "[{atS: 1, fault: door-open, durationS: 1}]",
      PHOTON_BENCH_LOOPS__TELEMETRY__PERIOD_MS: "500",
    });
    await untilSaid(agent, "mosquitto_sub", 15_000);
    sub = await subscriber(url, `${ROOT}/#`);
  }, 30_000);

  afterAll(async () => {
    await sub?.close();
    agent?.child.kill("SIGTERM");
    await agent?.exit;
  });

  it("the door scenario: latched after the door shuts, refused, reset, laser on within one telemetry period", async () => {
    await sub.waitFor(
      (m) => m.topic === `${ROOT}/alarm/interlock-door` && String(m.payload.message).includes("latched"),
      15_000,
    );
    // The door's incident, as published (retained) before `ctl status` reads it back.
    const incident = await sub.waitFor(
      (m) => m.topic.startsWith(`${ROOT}/incident/`) && m.payload.state === "open",
      10_000,
    );
    const cause = incident.payload.cause as { alarm: string };
    expect(cause.alarm, `symptoms: ${JSON.stringify(incident.payload.symptoms)}`).toBe("interlock-door");
    const status = await ctl("status");
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${ROOT}: online`);
    expect(status.stdout).toMatch(/interlock-door \(critical\): inputs clear; latched until reset/);
    expect(status.stdout, status.stdout).toContain(`incident ${incident.payload.id}: interlock-door — `);

    const refused = await ctl("cmd", "laser/emission", '{"on":true}');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("refused (interlock)");

    const reset = await ctl("cmd", "interlock/reset");
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ reset: ["door"], stillTripped: [], unknown: [] });

    const on = await ctl("cmd", "laser/emission", '{"on":true}');
    expect(on.code).toBe(0);
    // The next sampling round shows the emission on (a read under way at the command may not).
    const from = sub.messages.length;
    await sub.withinNextRound(
      `${ROOT}/telemetry/laser`,
      (m) => (m.payload.values as { emission?: boolean } | undefined)?.emission === true,
      from,
    );
    const audit = sub.messages.filter((m) => m.topic === `${ROOT}/event/audit`).map((m) => m.payload);
    expect(audit.map((a) => [a.verb, a.status])).toEqual(
      expect.arrayContaining([
        ["laser/emission", "error"],
        ["interlock/reset", "ok"],
        ["laser/emission", "ok"],
      ]),
    );

    const run = await ctl("cmd", "run/start", '{"name":"door test","operator":"ci","sample":"QD-7"}');
    expect(run.code).toBe(0);
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    await sub.waitFor((m) => m.topic === `${ROOT}/run` && m.payload.runId === runId, 5000);
    expect((await ctl("status")).stdout).toContain(`run: ${runId} "door test" by ci since `);
  }, 30_000);

  it("exit 4 for a refused request, 2 for bad arguments, 5 when nothing answers", async () => {
    const unknown = await ctl("cmd", "laser/fire");
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('refused (unknown-verb): no verb "laser/fire"');
    const tooStrong = await ctl("cmd", "laser/power", '{"powerMw":50}');
    expect(tooStrong.code).toBe(4);
    expect(tooStrong.stderr).toContain("refused (limit at powerMw)");
    expect((await ctl("cmd", "laser/emission", "{on:true}")).code).toBe(2);
    expect((await ctl("config", "rollback", "two")).code).toBe(2);
    const nobody = spawnAgent([
      "ctl",
      "--broker",
      `mqtt://127.0.0.1:${await freePort()}`,
      "--timeout-s",
      "2",
      "status",
    ]);
    expect((await nobody.exit).code).toBe(5);
    expect(nobody.stderr()).toContain("cannot connect");
  }, 30_000);

  it("watch prints a live table of the bench's telemetry until Ctrl-C", async () => {
    const watch = spawnAgent(["ctl", "--broker", url, "--bench", BENCH, "watch"]);
    const laser = /telemetry\/laser\s+emission=(true|false)\s+powerMw=\d+(\.\d+)?\s/;
    const cryostat = /telemetry\/cryostat\s+sampleTempK=\d/;
    const deadline = Date.now() + 10_000;
    while (!(laser.test(watch.stdout()) && cryostat.test(watch.stdout())) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    watch.child.kill("SIGINT");
    expect((await watch.exit).code).toBe(0);
    expect(watch.stdout()).toMatch(laser);
    expect(watch.stdout()).toMatch(cryostat);
    // A list (the laser's faults, none now) prints as its items, not as "…".
    expect(watch.stdout()).toMatch(/telemetry\/laser\s.*\bfaults=(\s|$)/m);
    expect(watch.stdout()).not.toContain("faults=…");
  }, 20_000);

  it("config push (a patch) shows the change, applies it, and the history and rollback follow", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "pb-ctl-")), "patch.yaml");
    writeFileSync(file, "correlation:\n  integrationS: 2\nalignment:\n  publishEveryS: 5\n");
    const pushed = await ctl("config", "push", file, "--patch", "--yes");
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain("  changes alignment.publishEveryS  (restart)\n");
    expect(pushed.stdout).toContain("  changes correlation.integrationS\n"); // the correlator takes it live
    expect(pushed.stdout).toContain("version 1: 2 change(s)");
    expect(pushed.stdout).toContain("takes effect at the next restart: alignment.publishEveryS");
    const history = await ctl("config", "history");
    expect(
      history.stdout
        .trim()
        .split("\n")
        .map((l) => l.trim().split(/\s+/)[0]),
    ).toEqual(["0", "1"]);
    const back = await ctl("config", "rollback", "0");
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/version 2: 2 change\(s\)/);
    const loosen = join(mkdtempSync(join(tmpdir(), "pb-ctl-")), "loosen.yaml");
    writeFileSync(loosen, "safety:\n  laserMaxPowerMw: 100\n");
    const refused = await ctl("config", "push", loosen, "--patch", "--yes");
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("safety.laserMaxPowerMw: limit-loosened");
  }, 30_000);
});
