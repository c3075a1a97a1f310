/**
 * The control plane in the running agent on the simulated bench: requests in-process through the
 * same path MQTT uses (ControlService.request), checked against what the simulated instruments
 * do and what lands on disk. Over MQTT itself: safety.test.ts (the door scenario) and
 * agent-mosquitto.test.ts (MQTT 5 response topics).
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Response } from "../../agent/control/protocol.js";
import { startAgent } from "../../agent/main.js";
import { runBench } from "../helpers/agent-bench.js";
import { simConfig } from "../helpers/bench-config.js";

type Running = Awaited<ReturnType<typeof runBench>>;

let sent = 0;
const ask = (
  running: Running,
  verb: string,
  args: Record<string, unknown> = {},
  transaction = `t${++sent}`,
) => running.agent.control.request(verb, Buffer.from(JSON.stringify({ transaction, ...args })), "test");

/** Every file under the state directory's config/ with its bytes. */
async function configFiles(stateDir: string): Promise<Record<string, string>> {
  const dir = join(stateDir, "config");
  const names = await readdir(dir).catch(() => [] as string[]);
  return Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n), "utf8")])),
  );
}

const auditLines = async (running: Running) => {
  await running.agent.control.audit.flushed();
  return (await readFile(join(running.stateDir, "audit.jsonl"), "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
};

describe("the control plane", () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.sub.close();
    await running?.agent.stop("test over");
    running = undefined;
  });

  it("refuses bad requests with a code and a path, changes nothing, and audits each one", async () => {
    running = await runBench("control-bad");
    const { sim, agent } = running;
    const powerBefore = sim.bench.laser.powerSetMw;
    const raw = (verb: string, text: string) => agent.control.request(verb, Buffer.from(text), "test");
    expect(await raw("laser/power", "{not json")).toMatchObject({
      transaction: null,
      status: "error",
      error: { code: "bad-json" },
    });
    expect(await raw("laser/power", "[1,2]")).toMatchObject({ error: { code: "bad-json" } });
    expect(await raw("laser/power", `{"transaction":"x","powerMw":"${"9".repeat(70_000)}"}`)).toMatchObject({
      error: { code: "too-large" },
    });
    expect(await raw("laser/power", '{"powerMw":1}')).toMatchObject({
      error: { code: "invalid", path: "transaction" },
    });
    expect(await ask(running, "laser/fire", { on: true })).toMatchObject({ error: { code: "unknown-verb" } });
    expect(await ask(running, "laser/power", { powerMw: "3" })).toMatchObject({
      error: { code: "invalid", path: "powerMw" },
    });
    expect(await ask(running, "laser/power", { powerMw: 3, colour: "red" })).toMatchObject({
      error: { code: "invalid" },
    });
    // Above the bench's 10 mW limit: refused before the laser hears of it.
    const limit = await ask(running, "laser/power", { powerMw: 12 });
    expect(limit).toMatchObject({ error: { code: "limit", path: "powerMw" } });
    expect(limit.error?.message).toContain("10 mW");
    // The aligner moves the stage: a manual move waits for alignment/stop, then meets the soft limits.
    expect((await ask(running, "stage/move", { axis: "x", positionUm: 50 })).error?.code).toBe("conflict");
    expect(await ask(running, "alignment/stop")).toMatchObject({ status: "ok" });
    const outside = await ask(running, "stage/move", { axis: "x", positionUm: 99 });
    expect(outside).toMatchObject({ error: { code: "limit", path: "positionUm" } });
    expect(outside.error?.message).toContain("5–95 µm");
    expect(sim.bench.laser.powerSetMw).toBe(powerBefore);
    const audit = await auditLines(running);
    expect(audit).toHaveLength(11);
    expect(audit.filter((l) => l.status === "ok").map((l) => l.verb)).toEqual(["alignment/stop"]);
    expect(audit.map((l) => l.code)).toContain("unknown-verb");
  });

  it("refuses every request once it is stopping, so nothing acts after the bench is made safe", async () => {
    running = await runBench("control-stopping");
    const { sim, agent } = running;
    await agent.control.stop();
    const late = await ask(running, "laser/power", { powerMw: 4 });
    expect(late).toMatchObject({
      status: "error",
      error: { code: "unavailable", message: "the agent is stopping" },
    });
    expect(sim.bench.laser.powerSetMw).toBe(1);
  });

  it("alignment/stop holds the stage for a manual move; alignment/track hands it back to the aligner", async () => {
    running = await runBench("control-align", { "alignment.publishEveryS": 0.2 });
    const { sim, sub, root } = running;
    await sub.waitFor((m) => m.topic === `${root}/alignment` && m.payload.mode === "track", 15_000);
    const stopped = await ask(running, "alignment/stop");
    expect(stopped).toMatchObject({ status: "ok", data: { mode: "stop", state: { mode: "idle" } } });
    const moved = await ask(running, "stage/move", { axis: "x", positionUm: 40 });
    expect(moved).toMatchObject({ status: "ok", data: { device: "stage", axis: "x", positionUm: 40 } });
    expect(sim.bench.stage.x!.commandedUm).toBeCloseTo(40, 1);
    const from = sub.messages.length;
    expect(await ask(running, "alignment/track")).toMatchObject({ status: "ok" });
    // Back from 40 µm to the peak: the aligner moves the stage again and tracks.
    await sub.waitFor((m) => m.topic === `${root}/alignment` && m.payload.mode === "track", 15_000, from);
    expect(sim.bench.stage.x!.commandedUm).not.toBeCloseTo(40, 1);
    expect((await ask(running, "stage/move", { axis: "x", positionUm: 40 })).error?.code).toBe("conflict");
  }, 40_000);

  it("runs a transaction once: a repeat gets the first answer and sets nothing again", async () => {
    running = await runBench("control-repeat");
    const { sim } = running;
    const first = await ask(running, "laser/power", { powerMw: 4 }, "same-id");
    expect(first).toMatchObject({ transaction: "same-id", status: "ok", data: { powerMw: 4 } });
    expect(sim.bench.laser.powerSetMw).toBe(4);
    const again = await ask(running, "laser/power", { powerMw: 7 }, "same-id");
    expect(again).toEqual(first);
    expect(sim.bench.laser.powerSetMw).toBe(4);
    expect((await auditLines(running)).filter((l) => l.transaction === "same-id")).toHaveLength(1);
  });

  it("answers busy beyond the verb's rate limit, disabled when control is off", async () => {
    running = await runBench("control-limits", { "control.rateLimit": { perVerbPerS: 0.001, burst: 3 } });
    const answers: Response[] = [];
    for (let i = 0; i < 5; i++) answers.push(await ask(running, "agent/ping"));
    expect(answers.map((a) => a.status)).toEqual(["ok", "ok", "ok", "error", "error"]);
    expect(answers[4]!.error?.code).toBe("busy");
    // Another verb has its own bucket.
    expect((await ask(running, "alarm/ack", { name: "nothing" })).error?.code).toBe("not-found");
    await running.sub.close();
    await running.agent.stop("next");
    running = await runBench("control-off", { control: { enabled: false } });
    expect(await ask(running, "agent/ping")).toMatchObject({ error: { code: "disabled" } });
  });

  it("config: a live change, a change needing a restart, a loosened limit, versions on disk across a restart", async () => {
    running = await runBench("control-config");
    const { stateDir } = running;
    expect(await ask(running, "config/get")).toMatchObject({ status: "ok", data: { version: 0 } });

    const live = await ask(running, "config/set", { patch: { loops: { telemetry: { periodMs: 400 } } } });
    expect(live).toMatchObject({
      status: "ok",
      data: { version: 1, changed: ["loops.telemetry.periodMs"], restartRequired: [] },
    });
    const wiring = await ask(running, "config/set", {
      patch: { devices: { laser: { serial: { timeoutMs: 800 } } }, mqtt: { password: "hunter2" } },
    });
    expect(wiring.data).toMatchObject({
      version: 2,
      restartRequired: ["devices.laser.serial.timeoutMs", "mqtt.password"],
    });
    const files = await configFiles(stateDir);
    expect(Object.keys(files).sort()).toEqual(["history.json", "v1.json", "v2.json"]);

    // Refused pushes change nothing on disk, not a byte.
    const loosened = await ask(running, "config/set", { patch: { safety: { laserMaxPowerMw: 50 } } });
    expect(loosened).toMatchObject({ error: { code: "limit-loosened", path: "safety.laserMaxPowerMw" } });
    const dropped = await ask(running, "config/set", { patch: { interlocks: [] } });
    expect(dropped).toMatchObject({ error: { code: "limit-loosened", path: "interlocks" } });
    const invalid = await ask(running, "config/set", { patch: { loops: { telemetry: { periodMs: -1 } } } });
    expect(invalid).toMatchObject({ error: { code: "invalid", path: "loops.telemetry.periodMs" } });
    const unknownDevice = await ask(running, "config/validate", {
      patch: { devices: { x: { type: "laser9000" } } },
    });
    expect(unknownDevice.data).toMatchObject({ valid: false });
    expect(await configFiles(stateDir)).toEqual(files);

    // A tightened limit applies at once to the verbs.
    expect(
      (await ask(running, "config/set", { patch: { safety: { laserMaxPowerMw: 5 } } })).data,
    ).toMatchObject({
      version: 3,
      restartRequired: [],
    });
    expect((await ask(running, "laser/power", { powerMw: 6 })).error?.code).toBe("limit");

    // The live correlator takes a new integration period at once.
    const from = running.sub.messages.length;
    expect(
      (await ask(running, "config/set", { patch: { correlation: { integrationS: 0.5 } } })).data,
    ).toMatchObject({
      version: 4,
      changed: ["correlation.integrationS"],
      restartRequired: [],
    });
    const rates = await running.sub.waitFor(
      (m) => m.topic === `${running!.root}/measurement/rates`,
      10_000,
      from,
    );
    expect(rates.payload.integrationS).toBeCloseTo(0.5, 6);

    const history = await ask(running, "config/history");
    expect(
      ((history.data as { versions: unknown[] }).versions as Array<{ version: number }>).map(
        (v) => v.version,
      ),
    ).toEqual([0, 1, 2, 3, 4]);
    expect(JSON.stringify(await auditLines(running))).not.toContain("hunter2");
    const retained = await running.sub.waitFor(
      (m) => m.topic === `${running!.root}/config` && (m.payload as { version: number }).version === 3,
    );
    expect(JSON.stringify(retained.payload)).not.toContain("hunter2");
    expect(await ask(running, "config/rollback", { version: 1 })).toMatchObject({
      status: "ok",
      data: { version: 5 },
    });

    // A restart on the same state directory starts from the newest version (v5 = v1's document).
    const { agent, sub } = running;
    await sub.close();
    await agent.stop("restart");
    const again = await startAgent(agent.config, { ...agentOptions(running), stateDir });
    try {
      const answer = await again.control.request("config/get", Buffer.from('{"transaction":"g"}'), "test");
      expect(answer.data).toMatchObject({ version: 5 });
      expect(again.config.loops.telemetry.periodMs).toBe(400);
      expect(again.config.safety.laserMaxPowerMw).toBe(10);
    } finally {
      await again.stop("test over");
    }
    running = undefined;
  });

  it("falls back to the last good version when the newest one on disk is corrupt, with an alarm", async () => {
    running = await runBench("control-corrupt");
    const { stateDir } = running;
    await ask(running, "config/set", { patch: { loops: { telemetry: { periodMs: 300 } } } });
    await ask(running, "config/set", { patch: { loops: { telemetry: { periodMs: 600 } } } });
    const { agent, sub } = running;
    await sub.close();
    await agent.stop("restart");
    await writeFile(join(stateDir, "config", "v2.json"), '{"version":2,"overlay":{"loops":');
    const again = await startAgent(agent.config, { ...agentOptions(running), stateDir });
    const request = (verb: string, args: object) =>
      again.control.request(verb, Buffer.from(JSON.stringify({ transaction: verb, ...args })), "test");
    try {
      expect(again.config.loops.telemetry.periodMs).toBe(300);
      expect((await request("config/get", {})).data).toMatchObject({ version: 1 });
      const alarm = await request("alarm/ack", { name: "config-state" });
      expect(alarm).toMatchObject({ status: "ok", data: { active: true } });
      expect((alarm.data as { message: string }).message).toContain("v2.json");
    } finally {
      await again.stop("test over");
    }
    running = undefined;
  });
});

describe("stored versions and the local limits", () => {
  it("a stored version that loosens limits tightened locally since is not applied at start", async () => {
    const running = await runBench("control-tightened");
    const { stateDir, agent, sub } = running;
    await ask(running, "config/set", { patch: { safety: { laserMaxPowerMw: 8 } } });
    await sub.close();
    await agent.stop("restart");
    // The technician lowers the local limit to 6 mW: v1's 8 mW would loosen it.
    const tightened = simConfig({
      benchId: "control-tightened",
      "mqtt.embedded": agent.config.mqtt.embedded,
      "safety.laserMaxPowerMw": 6,
    });
    const again = await startAgent(tightened, { ...agentOptions(running), stateDir });
    try {
      expect(again.config.safety.laserMaxPowerMw).toBe(6);
      const alarm = await again.control.request(
        "alarm/ack",
        Buffer.from('{"transaction":"a","name":"config-state"}'),
        "test",
      );
      expect((alarm.data as { message: string }).message).toContain(
        "v1.json loosens the local limits: safety.laserMaxPowerMw",
      );
    } finally {
      await again.stop("test over");
    }
  });
});

/** The options runBench gave the agent, for a second start on the same bench. */
function agentOptions(running: Running) {
  return { logger: running.logger, providers: { sim: running.sim.provider } };
}
