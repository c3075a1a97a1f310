/**
 * The built agent as its own process against a real Mosquitto: online and telemetry from every
 * device, the will after a hard kill, reconnect after the broker restarts, clean SIGTERM.
 */
import { hostname } from "node:os";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_DEVICES, SIM_EXAMPLE } from "../helpers/bench-config.js";
import {
  type AgentProcess,
  type Broker,
  findTool,
  spawnAgent,
  startMosquitto,
  subscriber,
} from "../helpers/processes.js";

const mosquitto = findTool("mosquitto", "REQUIRE_MOSQUITTO");
const DEVICES = SIM_DEVICES;

describe.skipIf(!mosquitto)("agent process against a real Mosquitto", () => {
  let broker: Broker;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    broker = await startMosquitto(mosquitto!);
  });
  afterAll(async () => {
    for (const a of agents) a.child.kill("SIGKILL");
    await broker.stop();
  });

  const start = (benchId: string) => {
    const agent = spawnAgent(["run", "--config", SIM_EXAMPLE, "--broker", broker.url], {
      PHOTON_BENCH_BENCH_ID: benchId,
      PHOTON_BENCH_LOOPS__TELEMETRY__PERIOD_MS: "250",
      PHOTON_BENCH_MQTT__RECONNECT__INITIAL_DELAY_MS: "100",
      PHOTON_BENCH_MQTT__RECONNECT__MAX_DELAY_MS: "500",
      PHOTON_BENCH_MQTT__KEEPALIVE_S: "5",
      PHOTON_BENCH_CORRELATION__INTEGRATION_S: "1",
    });
    agents.push(agent);
    return agent;
  };

  it("answers an MQTT 5 request on its response topic with its correlation data, and on response/<verb>", async () => {
    const root = "photon-bench/it-mqtt5";
    const plain = await subscriber(broker.url, `${root}/response/#`);
    start("it-mqtt5");
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const replies: Array<{ payload: Record<string, unknown>; correlation?: string }> = [];
      client.on("message", (_t, payload, packet) =>
        replies.push({
          payload: JSON.parse(payload.toString()) as Record<string, unknown>,
          correlation: packet.properties?.correlationData?.toString(),
        }),
      );
      await client.subscribeAsync(`${root}/replies/ctl-7`, { qos: 1 });
      const online = await subscriber(broker.url, `${root}/status`);
      await online.waitFor((m) => m.payload.state === "online");
      await online.close();
      await client.publishAsync(`${root}/request/agent/ping`, JSON.stringify({ transaction: "v5-1" }), {
        qos: 1,
        properties: { responseTopic: `${root}/replies/ctl-7`, correlationData: Buffer.from("corr-42") },
      });
      for (let i = 0; i < 100 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(replies).toHaveLength(1);
      expect(replies[0]).toMatchObject({
        payload: { transaction: "v5-1", status: "ok", data: { benchId: "it-mqtt5" } },
        correlation: "corr-42",
      });
      const same = await plain.waitFor((m) => m.topic === `${root}/response/agent/ping`);
      expect(same.payload).toEqual(replies[0]!.payload);
    } finally {
      await client.endAsync(true);
      await plain.close();
    }
  });

  it("one agent per bench: a second one refuses to start, naming the first; --takeover starts over a stale status", async () => {
    const root = "photon-bench/it-dup";
    const sub = await subscriber(broker.url, `${root}/status`);
    const first = start("it-dup");
    await sub.waitFor((m) => m.payload.state === "online" && m.payload.pid === first.child.pid);
    const second = start("it-dup");
    expect((await second.exit).code).toBe(1);
    expect(second.stderr()).toContain(
      `another agent already runs ${root}: host ${hostname()}, pid ${first.child.pid}`,
    );
    expect(second.stdout()).not.toContain("bench safe"); // it never built a device
    first.child.kill("SIGTERM");
    await first.exit;
    // A stale online status from a machine that is gone: refused, unless --takeover.
    const stale = JSON.stringify({
      state: "online",
      benchId: "it-dup",
      ts: "2026-01-01T00:00:00Z",
      host: "old-pi",
      pid: 4242,
    });
    await sub.client.publishAsync(`${root}/status`, stale, { qos: 1, retain: true });
    const refused = start("it-dup");
    expect((await refused.exit).code).toBe(1);
    expect(refused.stderr()).toContain("host old-pi, pid 4242, online since 2026-01-01T00:00:00Z");
    const from = sub.messages.length;
    const takeover = spawnAgent(["run", "--config", SIM_EXAMPLE, "--broker", broker.url, "--takeover"], {
      PHOTON_BENCH_BENCH_ID: "it-dup",
    });
    agents.push(takeover);
    await sub.waitFor(
      (m) => m.payload.state === "online" && m.payload.pid === takeover.child.pid,
      10_000,
      from,
    );
    await sub.close();
  });

  it("--takeover over a live agent: the old one stands down (bench safe, exit 4), the new one keeps the bench", async () => {
    const root = "photon-bench/it-takeover";
    const sub = await subscriber(broker.url, `${root}/status`);
    const old = start("it-takeover");
    await sub.waitFor((m) => m.payload.state === "online" && m.payload.pid === old.child.pid);
    const from = sub.messages.length;
    const taker = spawnAgent(["run", "--config", SIM_EXAMPLE, "--broker", broker.url, "--takeover"], {
      PHOTON_BENCH_BENCH_ID: "it-takeover",
      PHOTON_BENCH_MQTT__RECONNECT__INITIAL_DELAY_MS: "100",
      PHOTON_BENCH_MQTT__RECONNECT__MAX_DELAY_MS: "500",
    });
    agents.push(taker);
    expect((await old.exit).code).toBe(4);
    expect(old.stdout()).toContain("another agent took this bench over");
    expect(old.stdout()).toContain("bench safe");
    // The status settles on the newer agent, online, and stays there.
    await sub.waitFor((m) => m.payload.state === "online" && m.payload.pid === taker.child.pid, 10_000, from);
    await new Promise((r) => setTimeout(r, 2000));
    const last = sub.messages.at(-1)!;
    expect(last.payload).toMatchObject({ state: "online", pid: taker.child.pid });
    // No fight: a handful of status changes, not one per reconnect for ever.
    expect(sub.messages.length - from).toBeLessThan(8);
    expect(taker.child.exitCode).toBeNull();
    taker.child.kill("SIGTERM");
    expect((await taker.exit).code).toBe(0);
    await sub.close();
  }, 40_000);

  it("comes online and publishes telemetry with sane values from every device; SIGTERM → offline, exit 0", async () => {
    const sub = await subscriber(broker.url, "photon-bench/it-telemetry/#");
    const agent = start("it-telemetry");
    const online = await sub.waitFor((m) => m.topic.endsWith("/status") && m.payload.state === "online");
    expect(online.retain).toBe(false); // live delivery; a late subscriber gets the retained copy
    const ok = (device: string) =>
      sub.waitFor(
        (m) => m.topic === `photon-bench/it-telemetry/telemetry/${device}` && m.payload.state === "ok",
      );
    const telemetry = Object.fromEntries(
      await Promise.all(
        DEVICES.map(async (d) => [d, (await ok(d)).payload.values as Record<string, unknown>]),
      ),
    );
    // The simulated bench's defaults: stage at 2.5 K base, sample held at 4 K, 1 mW laser, 80 kHz sync.
    expect(telemetry.cryostat!.detectorStageTempK as number).toBeCloseTo(2.5, 1);
    expect(telemetry.cryostat!.sampleTempK as number).toBeCloseTo(4.0, 1);
    expect(telemetry.laser!.powerMw as number).toBeCloseTo(1, 1);
    expect(telemetry.compressor!.supplyPsig as number).toBeGreaterThan(280);
    expect(telemetry.detectorA!.biasUa as number).toBeCloseTo(9, 2);
    const rates = await sub.waitFor(
      (m) =>
        m.topic.endsWith("/telemetry/tagger") &&
        typeof (m.payload.values as { syncInputCps?: number })?.syncInputCps === "number",
    );
    const values = rates.payload.values as Record<string, number>;
    expect(values.syncInputCps).toBeGreaterThan(75_000);
    expect(values.syncInputCps).toBeLessThan(85_000);
    expect(values.detectorACps).toBeGreaterThan(10_000);

    // The live correlator, in its worker: a 1 s period of the sim's 80 MHz source, g2(0) = 0.02.
    const hbt = await sub.waitFor((m) => m.topic === "photon-bench/it-telemetry/measurement/hbt", 10_000);
    const g2 = hbt.payload.g2 as {
      kind: string;
      periodPs: number;
      zeroDelayPs: number;
      g2Zero: number;
      g2ZeroError: number;
    };
    expect(g2.kind).toBe("pulsed");
    expect(g2.periodPs).toBeCloseTo(12_500, -2); // the 80 MHz repetition, within 50 ps (1 s of data)
    // The configured delay, to a few 100 ps bins: 1 s holds ~600 coincidences in peaks ~850 ps wide.
    expect(Math.abs(g2.zeroDelayPs - 23_970)).toBeLessThan(250);
    expect(g2.g2Zero).toBeLessThan(0.02 + 4 * g2.g2ZeroError);
    const measuredRates = await sub.waitFor((m) => m.topic === "photon-bench/it-telemetry/measurement/rates");
    expect((measuredRates.payload as { syncRateHz: number }).syncRateHz).toBeCloseTo(80e6, -5);

    const before = sub.messages.length;
    agent.child.kill("SIGTERM");
    expect((await agent.exit).code).toBe(0);
    const offline = await sub.waitFor(
      (m) => m.topic.endsWith("/status") && m.payload.state === "offline",
      5000,
      before,
    );
    expect(offline.payload.reason).toBe("SIGTERM");
    expect(agent.stdout()).toContain("lasers off, detector bias off");
    await sub.close();
  }, 30_000);

  it("publishes offline through the broker's will when the agent is killed hard", async () => {
    const sub = await subscriber(broker.url, "photon-bench/it-will/status");
    const agent = start("it-will");
    await sub.waitFor((m) => m.payload.state === "online");
    const before = sub.messages.length;
    agent.child.kill("SIGKILL");
    const offline = await sub.waitFor((m) => m.payload.state === "offline", 10_000, before);
    expect(offline.payload.reason).toBe("connection lost");
    await sub.close();
  }, 30_000);

  it("reconnects after the broker restarts: online again and telemetry resumes", async () => {
    const agent = start("it-reconnect");
    let sub = await subscriber(broker.url, "photon-bench/it-reconnect/#");
    const first = await sub.waitFor((m) => m.topic.endsWith("/telemetry/cryostat"));
    await sub.close();
    await broker.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await broker.start();
    sub = await subscriber(broker.url, "photon-bench/it-reconnect/#");
    await sub.waitFor((m) => m.topic.endsWith("/status") && m.payload.state === "online", 10_000);
    const later = await sub.waitFor(
      (m) => m.topic.endsWith("/telemetry/cryostat") && m.payload.state === "ok",
    );
    expect(later.payload.seq as number).toBeGreaterThan(first.payload.seq as number);
    agent.child.kill("SIGTERM");
    expect((await agent.exit).code).toBe(0);
    await sub.close();
  }, 40_000);
});
