/**
 * The Sparkplug B edge node in the agent on the simulated bench, against a real Mosquitto, seen by
 * a decoding host (test/helpers/sparkplug-host.ts). Every recorded stream is checked against the
 * specification's edge-node statements (test/helpers/sparkplug-statements.ts); each test here
 * checks the statements that need a scenario: a device fault, a clean stop, DCMD through the
 * control plane (refused by an interlock and by a limit), a rebirth and the seq wrap, and a
 * primary host going offline and back.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../../agent/main.js";
import { DataType } from "../../agent/sparkplug/codec.js";
import { createSimulatedBench } from "../../sim/provider.js";
import { SIM_DEVICES, simConfig } from "../helpers/bench-config.js";
import { type Broker, findTool, startMosquitto, subscriber } from "../helpers/processes.js";
import { type SparkplugHost, sparkplugHost } from "../helpers/sparkplug-host.js";
import { violations } from "../helpers/sparkplug-statements.js";

const mosquitto = findTool("mosquitto", "REQUIRE_MOSQUITTO");
const GROUP = "it-lab";

describe.skipIf(!mosquitto)("Sparkplug B edge node against a real Mosquitto", () => {
  let broker: Broker;
  let running: Array<{ agent: RunningAgent; host: SparkplugHost }> = [];

  beforeAll(async () => {
    broker = await startMosquitto(mosquitto!);
  });
  afterEach(async () => {
    for (const r of running) {
      await r.agent.stop("test over");
      await r.host.close();
    }
    running = [];
  });
  afterAll(async () => {
    await broker.stop();
  });

  const start = async (benchId: string, sparkplug: Record<string, unknown> = {}) => {
    const config = simConfig({
      benchId,
      "mqtt.broker": broker.url,
      "mqtt.reconnect": { initialDelayMs: 100, maxDelayMs: 400 },
      "loops.telemetry": { periodMs: 200, retryInitialMs: 100, retryMaxMs: 400 },
      sparkplug: { enabled: true, groupId: GROUP, ...sparkplug },
    });
    const host = await sparkplugHost(broker.url, GROUP, benchId);
    const logger = pino({ level: "silent" });
    const sim = createSimulatedBench(config, logger);
    sim.clock.start();
    const stateDir = await mkdtemp(join(tmpdir(), `photon-bench-${benchId}-`));
    const agent = await startAgent(config, { logger, providers: { sim: sim.provider }, stateDir });
    const entry = { agent, host };
    running.push(entry);
    const stop = async () => {
      running = running.filter((r) => r !== entry);
      await agent.stop("test over");
      await host.close();
    };
    return { sim, agent, host, stop, root: `photon-bench/${benchId}` };
  };

  const bornDevices = (host: SparkplugHost) =>
    new Set(host.messages.filter((m) => m.type === "DBIRTH").map((m) => m.device));

  it("births every device with units and limits, reports by exception, kills a faulted device, and ends with NDEATH", async () => {
    const { sim, host, stop } = await start("spb-births");
    const nbirth = await host.waitFor((m) => m.type === "NBIRTH");
    for (const device of [...SIM_DEVICES, "interlocks", "agent"])
      await host.waitFor((m) => m.type === "DBIRTH" && m.device === device, 10_000);
    expect(nbirth.payload.metrics.find((m) => m.name === "Node Info/Bench Id")?.value).toBe("spb-births");
    expect(nbirth.payload.metrics.find((m) => m.name === "Node Info/Backend")?.value).toBe("sim");
    const power = host.birthMetric("laser", "powerMw")!;
    expect(power).toMatchObject({
      datatype: DataType.Double,
      properties: { engUnit: "mW", engLow: 0, engHigh: 10 },
    });
    expect(host.birthMetric("laser", "emission")).toMatchObject({ datatype: DataType.Boolean, value: true });
    const sample = host.birthMetric("cryostat", "sampleTempK")!;
    expect(sample.properties?.engUnit).toBe("K");
    expect(sample.value as number).toBeCloseTo(4, 1);
    expect(host.birthMetric("stage", "xPositionUm")?.properties).toEqual({
      engUnit: "µm",
      engLow: 5,
      engHigh: 95,
    });

    // By exception: the set-point (constant 4 K) never goes out again after the birth; each
    // sampleTempK that does differs from the one before by more than the 0.5 % deadband.
    await host.waitFor((m) => m.type === "DDATA" && m.device === "cryostat", 10_000);
    const sampleAlias = sample.alias!;
    const setpointAlias = host.birthMetric("cryostat", "setpointK")!.alias!;
    // (Values held before the first birth come after it, marked historical: left out here.)
    const cryostatData = host.messages
      .filter((m) => m.type === "DDATA" && m.device === "cryostat")
      .flatMap((m) => m.payload.metrics.filter((x) => !x.isHistorical));
    expect(cryostatData.some((x) => x.alias === setpointAlias)).toBe(false);
    let last = sample.value as number;
    for (const x of cryostatData.filter((x) => x.alias === sampleAlias)) {
      expect(Math.abs((x.value as number) - last)).toBeGreaterThan(0.005 * last);
      last = x.value as number;
    }

    // The cryostat stops answering: DDEATH (its tags stale on the host); it answers again: DBIRTH.
    const from = host.messages.length;
    sim.bench.inject({ fault: "device-unplugged", device: "cryostat", durationS: 1 });
    const death = await host.waitFor((m) => m.type === "DDEATH" && m.device === "cryostat", 10_000, from);
    await host.waitFor(
      (m) => m.type === "DBIRTH" && m.device === "cryostat",
      10_000,
      host.messages.indexOf(death),
    );

    // A clean stop ends with NDEATH, carrying the NBIRTH's bdSeq.
    await stop();
    const ndeath = host.messages.at(-1)!;
    expect(ndeath.type).toBe("NDEATH");
    expect(ndeath.payload.metrics[0]!.value).toBe(
      nbirth.payload.metrics.find((m) => m.name === "bdSeq")!.value,
    );
    expect(violations(host.messages)).toEqual([]);
  }, 60_000);

  it("DCMD writes go through the control plane: done, refused at a limit, refused while the door interlock is tripped", async () => {
    const { sim, host, root } = await start("spb-dcmd");
    const audit = await subscriber(broker.url, `${root}/event/audit`);
    try {
      await host.waitFor((m) => m.type === "DBIRTH" && m.device === "laser");
      /** Writes a metric as a host does; resolves with the node's Commands/Last Result that follows. */
      const write = async (device: string, metric: string, value: boolean | number) => {
        const from = host.messages.length;
        await host.write(device, metric, value);
        const alias = host.birthMetric("", "Commands/Last Result")!.alias;
        const result = await host.waitFor(
          (m) => m.type === "NDATA" && m.payload.metrics.some((x) => x.alias === alias),
          10_000,
          from,
        );
        return { from, text: result.payload.metrics.find((x) => x.alias === alias)!.value as string };
      };

      const off = await write("laser", "emission", false);
      expect(off.text).toMatch(/laser\/emission: done/);
      expect(sim.bench.laser.emission).toBe(false);
      // (Values held before the first birth come after it as history: not what the write did.)
      const emissionAlias = host.birthMetric("laser", "emission")!.alias;
      await host.waitFor(
        (m) =>
          m.type === "DDATA" &&
          m.device === "laser" &&
          m.payload.metrics.some((x) => x.alias === emissionAlias && !x.isHistorical),
        5000,
        off.from,
      );
      expect(host.latest("laser", "emission")).toBe(false);

      expect((await write("laser", "powerMw", 50)).text).toMatch(/refused \(limit\)/);
      expect(sim.bench.laser.powerSetMw).toBeLessThanOrEqual(10);

      expect((await write("cryostat", "sampleTempK", 3)).text).toMatch(/read-only/);

      sim.bench.inject({ fault: "door-open", durationS: 30 });
      await host.waitFor(
        (m) =>
          m.type === "DDATA" &&
          m.device === "door" &&
          m.payload.metrics.some((x) => x.value === true && !x.isHistorical),
        5000,
      );
      expect((await write("laser", "emission", true)).text).toMatch(/refused \(interlock\)/);
      expect(sim.bench.laser.emission).toBe(false);
      const audited = await audit.waitFor(
        (m) => m.payload.via === "sparkplug" && m.payload.code === "interlock",
      );
      expect(audited.payload).toMatchObject({ verb: "laser/emission", status: "error" });
      const node = (name: string) => host.latest("", name);
      expect(node("Commands/Accepted")).toBe(1);
      expect(node("Commands/Refused")).toBe(3);
      expect(violations(host.messages)).toEqual([]);
    } finally {
      await audit.close();
    }
  }, 60_000);

  it("a rebirth request restates everything with the same bdSeq; seq wraps from 255 to 0", async () => {
    const { host } = await start("spb-rebirth");
    const first = await host.waitFor((m) => m.type === "NBIRTH");
    await host.waitFor((m) => m.type === "DBIRTH" && m.device === "tagger", 10_000);
    const devices = bornDevices(host);
    const from = host.messages.length;
    await host.rebirth();
    const again = await host.waitFor((m) => m.type === "NBIRTH", 5000, from);
    const bdSeqOf = (m: typeof first) => m.payload.metrics.find((x) => x.name === "bdSeq")!.value;
    expect(bdSeqOf(again)).toBe(bdSeqOf(first));
    const index = host.messages.indexOf(again);
    const reborn = host.messages.slice(index + 1, index + 1 + devices.size);
    expect(new Set(reborn.map((m) => `${m.type} ${m.device}`))).toEqual(
      new Set([...devices].map((d) => `DBIRTH ${d}`)),
    );
    // ~60 messages a second: wait for the seq to pass 255 after the rebirth.
    await host.waitFor((m) => m.payload.seq === 0 && m.type !== "NBIRTH", 30_000, index + 1);
    expect(violations(host.messages)).toEqual([]);
  }, 60_000);

  it("waits for the primary host; when it goes offline: NDEATH, data held, then births and the held data as history", async () => {
    const hostId = "it-scada";
    const { host } = await start("spb-primary", { primaryHostId: hostId });
    try {
      await host
        .waitFor((m) => m.type === "NDEATH" || m.type === "NBIRTH", 1500)
        .then(
          (m) => expect.unreachable(`${m.type} before the primary host was online`),
          () => undefined,
        );
      await host.state(hostId, true);
      const first = await host.waitFor((m) => m.type === "NBIRTH", 10_000);
      await host.waitFor((m) => m.type === "DDATA" && m.device === "interlocks", 10_000);
      const bdSeq = first.payload.metrics.find((x) => x.name === "bdSeq")!.value as number;

      // An offline STATE older than the online one is ignored: a rebirth answers, no NDEATH first.
      let from = host.messages.length;
      await host.state(hostId, false, Date.now() - 60_000);
      await host.rebirth();
      const next = await host.waitFor((m) => m.type === "NBIRTH" || m.type === "NDEATH", 10_000, from);
      expect(next.type).toBe("NBIRTH");

      from = host.messages.length;
      const offlineAt = Date.now();
      await host.state(hostId, false, offlineAt);
      const death = await host.waitFor((m) => m.type === "NDEATH", 10_000, from);
      expect(death.payload.metrics[0]!.value).toBe(bdSeq);
      await new Promise((r) => setTimeout(r, 1500));
      expect(host.messages.slice(host.messages.indexOf(death) + 1)).toEqual([]);
      const onlineAt = Date.now();
      await host.state(hostId, true, onlineAt);
      const reborn = await host.waitFor((m) => m.type === "NBIRTH", 10_000, from);
      expect(reborn.payload.metrics.find((x) => x.name === "bdSeq")!.value).toBe((bdSeq + 1) % 256);
      const history = await host.waitFor(
        (m) => m.device === "interlocks" && m.payload.metrics.some((x) => x.isHistorical),
        10_000,
        host.messages.indexOf(reborn),
      );
      const after = host.messages.slice(host.messages.indexOf(reborn));
      const stamps = after
        .filter((m) => m.device === "interlocks" && m.payload.metrics.some((x) => x.isHistorical))
        .map((m) => m.payload.metrics[0]!.timestamp!);
      expect(stamps.length).toBeGreaterThanOrEqual(3);
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
      expect(stamps[0]!).toBeGreaterThanOrEqual(offlineAt - 500);
      expect(stamps.at(-1)!).toBeLessThanOrEqual(onlineAt + 500);
      expect(history.payload.metrics.every((x) => x.isHistorical && x.alias !== undefined)).toBe(true);
      expect(violations(host.messages)).toEqual([]);
    } finally {
      await host.client.publishAsync(`spBv1.0/STATE/${hostId}`, "", { qos: 1, retain: true });
    }
  }, 60_000);
});
