/**
 * A tagger on another computer (`tcp-tagger`): the simulated bench's tagger served on a loopback
 * TCP socket, the agent's SerialTagger on a TCP link. The stream arrives whole — the laser's sync
 * at 80 MHz / 1000, both detectors, a pulsed g2(0) near the emitter's 0.02 — and a dropped
 * connection is reconnected.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent } from "../../agent/main.js";
import { createSimulatedBench } from "../../sim/provider.js";
import { serveTcp } from "../../sim/tcp-server.js";
import { simConfig } from "../helpers/bench-config.js";
import { freePort, subscriber } from "../helpers/processes.js";

const logger = pino({ level: "silent" });

describe("tcp-tagger", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it("streams the bench's tags over TCP into the live correlation, and reconnects after a dropped link", async () => {
    const port = await freePort();
    const common = {
      benchId: "tcp-tagger",
      "mqtt.embedded": { host: "127.0.0.1", port },
      "loops.telemetry": { periodMs: 250 },
      "alignment.enabled": false,
      "correlation.integrationS": 1,
    };
    // The sim (and its tagger twin) from the bench file as it is; the agent sees a tcp-tagger.
    const benchFile = simConfig(common);
    const sim = createSimulatedBench(benchFile, logger);
    sim.clock.start();
    const twin = sim.serialTwin("tagger");
    const served = await serveTcp(twin.instrument, { replyTerminator: twin.replyTerminator });
    cleanup.push(() => served.close());
    const serialTagger = benchFile.devices.tagger!;
    if (serialTagger.type !== "serial-tagger") throw new Error("the example's tagger is a serial-tagger");
    const config = simConfig({
      ...common,
      "devices.tagger": {
        type: "tcp-tagger",
        tcp: { host: "127.0.0.1", port: served.port },
        channels: serialTagger.channels,
      },
    });
    const stateDir = await mkdtemp(join(tmpdir(), "photon-bench-tcp-"));
    const agent = await startAgent(config, { logger, providers: { sim: sim.provider }, stateDir });
    cleanup.push(() => agent.stop("test over"));
    const root = "photon-bench/tcp-tagger";
    const sub = await subscriber(`mqtt://127.0.0.1:${port}`, `${root}/#`);
    cleanup.push(() => sub.close());

    const rates = await sub.waitFor((m) => m.topic === `${root}/measurement/rates`, 20_000);
    // The sync channel carries one tag per 1000 pulses of the 80 MHz laser: 80 MHz once multiplied back.
    expect(rates.payload.syncRateHz).toBeCloseTo(80e6, -3);
    expect(rates.payload.syncDivider).toBe(1000);
    expect(rates.payload.syncInputCps).toBeCloseTo(80e3, -1);
    expect((rates.payload.syncInputCps as number) * 1000).toBeCloseTo(rates.payload.syncRateHz as number, 3);
    const detectors = rates.payload.detectors as Record<string, { photons: number }>;
    expect(detectors.detectorA!.photons).toBeGreaterThan(1000);
    expect(detectors.detectorB!.photons).toBeGreaterThan(1000);
    const hbt = await sub.waitFor((m) => m.topic === `${root}/measurement/hbt`, 20_000);
    const g2 = hbt.payload.g2 as { kind: string; g2Zero: number; g2ZeroError: number };
    expect(g2.kind).toBe("pulsed");
    expect(Math.abs(g2.g2Zero - 0.02)).toBeLessThan(4 * g2.g2ZeroError + 0.01);
    expect(served.received).toContain("STREAM ON");

    // The network drops the connection: the stream goes silent, is restarted, and measures again.
    served.drop();
    const from = sub.messages.length;
    await sub.waitFor(
      (m) =>
        m.topic === `${root}/telemetry/agent` &&
        Number((m.payload.values as { tagsReceived?: number }).tagsReceived) > 0,
      5000,
      from,
    );
    const again = sub.messages.length;
    await sub.waitFor((m) => m.topic === `${root}/measurement/rates`, 30_000, again);
    expect(served.received.filter((l) => l === "STREAM ON").length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
