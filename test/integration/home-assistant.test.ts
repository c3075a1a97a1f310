/**
 * Home Assistant discovery on the simulated bench: the retained discovery messages a Home
 * Assistant would read (units, device classes, availability on the status topic, templates that
 * point at fields the agent really publishes), the emission switch's command through the control
 * plane (refused while the door interlock is tripped), and removal of a device's entities when a
 * restart's configuration no longer has it.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { startAgent } from "../../agent/main.js";
import { createSimulatedBench } from "../../sim/provider.js";
import { benchPerTest } from "../helpers/agent-bench.js";
import { simConfig } from "../helpers/bench-config.js";
import { findTool, startMosquitto, subscriber } from "../helpers/processes.js";

const mosquitto = findTool("mosquitto", "REQUIRE_MOSQUITTO");

type Discovery = Record<string, unknown> & { state_topic: string; value_template: string };

/** The one field a telemetry template reads (`value_json['values']["sampleTempK"]`). */
const field = (template: string) => /\['values'\]\[(?:'|")([^'"]+)/.exec(template)?.[1];

describe("Home Assistant discovery", () => {
  const runBench = benchPerTest();

  it("announces temperatures, powers, rates, interlocks, g2(0), alignment and an emission switch that goes through the control plane", async () => {
    const { sim, sub, root, agent } = await runBench("ha-bench", {
      homeAssistant: { enabled: true },
      "correlation.integrationS": 1,
    });
    const ha = await subscriber(agent.brokerUrl, "homeassistant/#");
    try {
      const config = async (topic: string) =>
        (await ha.waitFor((m) => m.topic === `homeassistant/${topic}/config`, 15_000)).payload as Discovery;
      const sample = await config("sensor/ha-bench/cryostat_sampleTempK");
      expect(sample).toMatchObject({
        unique_id: "photon_bench_ha_bench_cryostat_sampleTempK",
        device_class: "temperature",
        unit_of_measurement: "K",
        state_class: "measurement",
        state_topic: `${root}/telemetry/cryostat`,
        availability_topic: `${root}/status`,
        payload_available: "online",
        device: expect.objectContaining({ identifiers: ["photon-bench-ha-bench"] }),
      });
      // The template reads a field the agent publishes, a temperature near the sim's 4 K.
      const reading = await sub.waitFor((m) => m.topic === sample.state_topic);
      expect((reading.payload.values as Record<string, number>)[field(sample.value_template)!]!).toBeCloseTo(
        4,
        1,
      );
      expect(await config("sensor/ha-bench/powerMonitor_coupledPowerMw")).toMatchObject({
        device_class: "power",
        unit_of_measurement: "mW",
      });
      expect(await config("sensor/ha-bench/tagger_detectorACps")).toMatchObject({
        unit_of_measurement: "cps",
      });
      expect(await config("binary_sensor/ha-bench/interlock_door")).toMatchObject({ device_class: "safety" });
      expect(await config("sensor/ha-bench/g2_zero_hbt")).toMatchObject({
        state_topic: `${root}/measurement/hbt`,
      });
      expect(await config("sensor/ha-bench/alignment_mode")).toMatchObject({
        state_topic: `${root}/alignment`,
      });
      const retained = await subscriber(agent.brokerUrl, "homeassistant/+/ha-bench/#");
      await retained.waitFor((m) => m.topic.endsWith("/cryostat_sampleTempK/config") && m.retain, 2000);
      await retained.close();

      // The switch: Home Assistant renders command_template with value ON/OFF and publishes it.
      const emission = await config("switch/ha-bench/laser_emission");
      expect(emission.command_topic).toBe(`${root}/request/laser/emission`);
      const render = (value: "ON" | "OFF", n: number) =>
        String(emission.command_template)
          .replace("{{ now().timestamp() }}", String(n))
          .replace("{{ 'true' if value == 'ON' else 'false' }}", value === "ON" ? "true" : "false");
      await ha.client.publishAsync(String(emission.command_topic), render("OFF", 1), { qos: 1 });
      await sub.waitFor((m) => m.topic === `${root}/response/laser/emission` && m.payload.status === "ok");
      expect(sim.bench.laser.emission).toBe(false);
      sim.bench.inject({ fault: "door-open", durationS: 30 });
      await sub.waitFor((m) => m.topic === `${root}/alarm/interlock-door` && m.payload.active === true, 5000);
      const from = sub.messages.length;
      await ha.client.publishAsync(String(emission.command_topic), render("ON", 2), { qos: 1 });
      const refused = await sub.waitFor((m) => m.topic === `${root}/response/laser/emission`, 5000, from);
      expect(refused.payload).toMatchObject({ status: "error", error: { code: "interlock" } });
      expect(sim.bench.laser.emission).toBe(false);
    } finally {
      await ha.close();
    }
  }, 60_000);

  it.skipIf(!mosquitto)(
    "removes a device's entities when the next run's configuration no longer has it",
    async () => {
      const broker = await startMosquitto(mosquitto!);
      const stateDir = await mkdtemp(join(tmpdir(), "photon-bench-ha-remove-"));
      const logger = pino({ level: "silent" });
      const run = async (withCompressor: boolean) => {
        const config = simConfig({
          benchId: "ha-remove",
          "mqtt.broker": broker.url,
          "loops.telemetry": { periodMs: 200, retryInitialMs: 100, retryMaxMs: 400 },
          homeAssistant: { enabled: true },
        });
        if (!withCompressor) delete (config.devices as Record<string, unknown>).compressor;
        const sim = createSimulatedBench(config, logger);
        sim.clock.start();
        return startAgent(config, { logger, providers: { sim: sim.provider }, stateDir });
      };
      const topic = "homeassistant/sensor/ha-remove/compressor_heliumDischargeTempC/config";
      const watch = await subscriber(broker.url, "homeassistant/+/ha-remove/#");
      try {
        const first = await run(true);
        await watch.waitFor((m) => m.topic === topic && m.payload.unique_id !== undefined, 10_000);
        await first.stop("restart");
        // The same broker and state directory; the compressor gone from the bench file.
        const from = watch.messages.length;
        const second = await run(false);
        try {
          await watch.waitFor((m) => m.topic === topic && m.payload.raw === "", 10_000, from);
          const late = await subscriber(broker.url, "homeassistant/+/ha-remove/#");
          // What Home Assistant would see now: the cryostat's entities, none of the compressor's.
          await late.waitFor((m) => m.topic.endsWith("/cryostat_sampleTempK/config"), 5000);
          expect(late.messages.filter((m) => m.topic.includes("/compressor_"))).toEqual([]);
          await late.close();
        } finally {
          await second.stop("test over");
        }
      } finally {
        await watch.close();
        await broker.stop();
      }
    },
    60_000,
  );
});
