/**
 * Never lose a message: the agent's event messages survive a broker outage and an agent restart
 * in the middle of it (the durable outbox and the persistent session), checked by each topic's
 * `seq` running without a gap. Real Mosquitto (persistent, so the subscriber's own session
 * survives the broker's restart too), the built agent as a process.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { SIM_EXAMPLE } from "../helpers/bench-config.js";
import { type AgentProcess, findTool, spawnAgent, startMosquitto } from "../helpers/processes.js";

const mosquitto = findTool("mosquitto", "REQUIRE_MOSQUITTO");

/** Topics whose messages must arrive without a gap in `seq` (responses and the status are not journaled). */
const JOURNALED = /\/(telemetry|measurement|alarm|alignment|event)\//;

describe.skipIf(!mosquitto)("the durable outbox against a real Mosquitto", () => {
  const agents: AgentProcess[] = [];
  afterAll(() => {
    for (const a of agents) a.child.kill("SIGKILL");
  });

  it("loses no QoS 1 message across a broker outage with an agent restart in it", async () => {
    const broker = await startMosquitto(mosquitto!, { persistent: true });
    const root = "photon-bench/it-outbox";
    const seen = new Map<string, Set<number>>();
    // A subscriber with a session of its own: the broker keeps its messages while it is away.
    const sub = await mqtt.connectAsync(broker.url, {
      clientId: "it-outbox-watcher",
      clean: false,
      reconnectPeriod: 200,
    });
    sub.on("message", (topic, payload) => {
      if (!JOURNALED.test(topic)) return;
      const { seq } = JSON.parse(payload.toString()) as { seq: number };
      if (!seen.has(topic)) seen.set(topic, new Set());
      seen.get(topic)!.add(seq);
    });
    await sub.subscribeAsync(`${root}/#`, { qos: 1 });
    const stateDir = mkdtempSync(join(tmpdir(), "pb-outbox-state-"));
    const env = {
      PHOTON_BENCH_BENCH_ID: "it-outbox",
      PHOTON_BENCH_LOOPS__TELEMETRY__PERIOD_MS: "250",
      PHOTON_BENCH_MQTT__RECONNECT__INITIAL_DELAY_MS: "100",
      PHOTON_BENCH_MQTT__RECONNECT__MAX_DELAY_MS: "500",
      PHOTON_BENCH_CORRELATION__INTEGRATION_S: "1",
      STATE_DIRECTORY: stateDir,
    };
    const run = () => {
      const agent = spawnAgent(["run", "--config", SIM_EXAMPLE, "--broker", broker.url], env);
      agents.push(agent);
      return agent;
    };
    const maxSeq = (topic: string) => Math.max(0, ...(seen.get(`${root}/${topic}`) ?? []));
    const until = async (what: () => boolean, timeoutMs: number, label: string) => {
      const deadline = Date.now() + timeoutMs;
      while (!what()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
        await sleep(50);
      }
    };

    const first = run();
    await until(() => maxSeq("telemetry/cryostat") >= 8, 20_000, "telemetry from the first agent");
    await broker.stop();
    await sleep(3000);
    first.child.kill("SIGTERM"); // a restart in the middle of the outage
    expect((await first.exit).code).toBe(0);
    const beforeRestart = (await import("node:fs")).readdirSync(join(stateDir, "outbox"));
    expect(beforeRestart.length).toBeGreaterThan(0);
    const second = run();
    await sleep(3000);
    await broker.start();
    // The second agent's own telemetry follows what the first left in its outbox.
    await until(() => maxSeq("telemetry/cryostat") >= 60, 30_000, "telemetry after the outage");
    second.child.kill("SIGTERM");
    expect((await second.exit).code).toBe(0);
    await sleep(500);
    await sub.endAsync();
    await broker.stop();

    const gaps: string[] = [];
    for (const [topic, seqs] of seen) {
      const max = Math.max(...seqs);
      for (let s = 1; s <= max; s++) if (!seqs.has(s)) gaps.push(`${topic} seq ${s}`);
    }
    expect(gaps).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(12); // every device's telemetry, measurements, …
  }, 90_000);
});
