/**
 * The Sparkplug edge node in the built agent as its own process. Against a real Mosquitto: after
 * a kill -9 the broker publishes the NDEATH will (QoS 1, not retained, the NBIRTH's bdSeq), and a
 * restart on the same state directory connects with the next bdSeq (starting from 0). Against
 * aedes, whose connect hook shows the CONNECT packet itself: MQTT 3.1.1 with Clean Session, and
 * the will on NDEATH at QoS 1, not retained, carrying only bdSeq.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataType, decodePayload } from "../../agent/sparkplug/codec.js";
import { SIM_EXAMPLE } from "../helpers/bench-config.js";
import {
  type AgentProcess,
  type Broker,
  findTool,
  freePort,
  spawnAgent,
  startMosquitto,
} from "../helpers/processes.js";
import { sparkplugHost } from "../helpers/sparkplug-host.js";
import { violations } from "../helpers/sparkplug-statements.js";

const mosquitto = findTool("mosquitto", "REQUIRE_MOSQUITTO");
const KEEPALIVE_S = 2;

const runAgent = (benchId: string, brokerUrl: string, stateDir: string): AgentProcess =>
  spawnAgent(["run", "--config", SIM_EXAMPLE, "--broker", brokerUrl], {
    STATE_DIRECTORY: stateDir,
    PHOTON_BENCH_BENCH_ID: benchId,
    PHOTON_BENCH_MQTT__KEEPALIVE_S: String(KEEPALIVE_S),
    PHOTON_BENCH_SPARKPLUG__ENABLED: "true",
    PHOTON_BENCH_LOOPS__TELEMETRY__PERIOD_MS: "250",
  });

const bdSeqOf = (metrics: Array<{ name?: string; value?: unknown }>) =>
  metrics.find((m) => m.name === "bdSeq")?.value;

describe.skipIf(!mosquitto)("Sparkplug edge node process against a real Mosquitto", () => {
  let broker: Broker;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    broker = await startMosquitto(mosquitto!);
  });
  afterAll(async () => {
    for (const a of agents) a.child.kill("SIGKILL");
    await broker.stop();
  });

  it("kill -9: the broker sends NDEATH with the NBIRTH's bdSeq; a restart takes the next bdSeq", async () => {
    const benchId = "spb-kill";
    const stateDir = mkdtempSync(join(tmpdir(), "photon-bench-spb-kill-"));
    const host = await sparkplugHost(broker.url, "photon-bench", benchId);
    try {
      const first = runAgent(benchId, broker.url, stateDir);
      agents.push(first);
      const birth = await host.waitFor((m) => m.type === "NBIRTH", 20_000);
      expect(bdSeqOf(birth.payload.metrics)).toBe(0);
      await host.waitFor((m) => m.type === "DBIRTH" && m.device === "laser", 10_000);
      first.child.kill("SIGKILL");
      // The socket closes with the process, so the will goes at once; at the latest after 1.5 keepalives.
      const death = await host.waitFor((m) => m.type === "NDEATH", 3 * KEEPALIVE_S * 1000);
      expect(death).toMatchObject({ qos: 1, retain: false });
      expect(death.payload.metrics).toEqual([
        expect.objectContaining({ name: "bdSeq", datatype: DataType.Int64, value: 0 }),
      ]);

      const second = runAgent(benchId, broker.url, stateDir);
      agents.push(second);
      const reborn = await host.waitFor((m) => m.type === "NBIRTH", 20_000, host.messages.indexOf(death));
      expect(bdSeqOf(reborn.payload.metrics)).toBe(1);
      second.child.kill("SIGTERM");
      const clean = await host.waitFor((m) => m.type === "NDEATH", 10_000, host.messages.indexOf(reborn));
      expect(bdSeqOf(clean.payload.metrics)).toBe(1);
      expect(await second.exit).toMatchObject({ code: 0 });
      expect(violations(host.messages)).toEqual([]);
    } finally {
      await host.close();
    }
  }, 90_000);
});

describe("Sparkplug edge node's CONNECT packet (aedes)", () => {
  const connects: Array<{
    clientId: string;
    clean: boolean;
    protocolVersion: number;
    will?: { topic: string; qos: number; retain: boolean; payload: Buffer };
  }> = [];
  let server: Server;
  let url: string;
  let aedes: Aedes;
  beforeAll(async () => {
    aedes = await Aedes.createBroker({
      preConnect: (_client, packet, done) => {
        connects.push(packet as unknown as (typeof connects)[number]);
        done(null, true);
      },
    });
    server = createServer((socket) => aedes.handle(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    url = `mqtt://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    aedes.close();
    await new Promise((r) => server.close(r));
  });

  it("MQTT 3.1.1, Clean Session, NDEATH will at QoS 1 not retained holding only bdSeq", async () => {
    const agent = runAgent("spb-connect", url, mkdtempSync(join(tmpdir(), "photon-bench-spb-connect-")));
    try {
      for (let i = 0; i < 200 && !connects.some((c) => c.clientId.endsWith("-sparkplug")); i++)
        await new Promise((r) => setTimeout(r, 50));
      const connect = connects.find((c) => c.clientId.endsWith("-sparkplug"));
      expect(connect).toMatchObject({
        clientId: "photon-bench-spb-connect-sparkplug",
        clean: true,
        protocolVersion: 4,
      });
      expect(connect!.will).toMatchObject({
        topic: "spBv1.0/photon-bench/NDEATH/spb-connect",
        qos: 1,
        retain: false,
      });
      const will = decodePayload(connect!.will!.payload);
      expect(will.seq).toBeUndefined();
      expect(will.metrics).toEqual([
        expect.objectContaining({ name: "bdSeq", datatype: DataType.Int64, value: 0 }),
      ]);
    } finally {
      agent.child.kill("SIGKILL");
    }
  }, 30_000);
});
