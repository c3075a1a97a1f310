/**
 * A Swabian Time Tagger through the Python sidecar (sidecars/swabian_stream.py, run by the real
 * python3) with a fake `TimeTagger` module (test/fixtures/fake-vendor/swabian/) that plays a
 * .qutag file — the HBT fixture's first 0.9 s, its first tag at 10 ms — as the tagger's stream
 * (quTAG channel c is input c + 1). The tags must arrive as the file has them; a sidecar that dies,
 * one that cannot open the unit, or one that speaks another protocol ends in a clear fault and a
 * restart, never a crash; and the agent's g2(0) is what `analyze` prints for the file.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openTimeTagFile } from "../../agent/correlation/readers/open.js";
import { startAgent } from "../../agent/main.js";
import { type SwabianSettings, SwabianTagger } from "../../agent/sources/swabian-tagger.js";
import { loadConfig } from "../../config/load.js";
import type { TimeTagChunk } from "../../hal/interfaces.js";
import { AGENT_CLI, freePort, subscriber } from "../helpers/processes.js";

const FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";
const FAKE_MODULE = "test/fixtures/fake-vendor/swabian";
const logger = pino({ level: "silent" });
let qutagFile = "";

beforeAll(async () => {
  // The fixture before 0.9 s, shifted so its first tag is at 10 ms: `analyze` counts a .qutag
  // file from its first tag less its 10 ms reorder window, so its times are the tagger's own.
  const records: Array<[number, number]> = [];
  for await (const c of (await openTimeTagFile(FIXTURE)).chunks())
    for (let i = 0; i < c.timesPs.length; i++)
      if (c.timesPs[i]! < 0.9e12) records.push([c.timesPs[i]!, c.channels[i]!]);
  const shift = 10e9 - records[0]![0];
  const body = Buffer.alloc(40 + 10 * records.length);
  records.forEach(([t, ch], i) => {
    body.writeBigUInt64LE(BigInt(t + shift), 40 + 10 * i);
    body.writeUInt16LE(ch, 48 + 10 * i);
  });
  qutagFile = join(await mkdtemp(join(tmpdir(), "swabian-")), "hbt.qutag");
  await writeFile(qutagFile, body);
});

function fakeEnv(env: Record<string, string>) {
  for (const key of Object.keys(process.env)) if (key.startsWith("SWABIAN_FAKE_")) delete process.env[key];
  Object.assign(process.env, { SWABIAN_FAKE_FILE: qutagFile, SWABIAN_FAKE_RATE: "1000000", ...env });
}

function tagger(overrides: Partial<SwabianSettings> = {}) {
  const settings: SwabianSettings = {
    python: "python3",
    modulePath: FAKE_MODULE,
    serialNumber: "",
    bufferEvents: 1_000_000,
    pollMs: 10,
    startTimeoutMs: 15_000,
    inputs: {},
    eventDividers: {},
    channelNames: { 1: "detectorA", 2: "detectorB" },
    ...overrides,
  };
  return new SwabianTagger("tagger", settings, logger);
}

describe("swabian-tagger through the Python sidecar and a fake TimeTagger module", () => {
  let running: SwabianTagger | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it("hands on the file's tags exactly, after the handshake, with the settings applied", async () => {
    const log = join(tmpdir(), `swabian-log-${process.pid}.txt`);
    await rm(log, { force: true });
    fakeEnv({ SWABIAN_FAKE_LOG: log });
    running = tagger({ inputs: { "2": { triggerLevelV: -0.1, delayPs: 1500 } }, eventDividers: { "1": 4 } });
    const chunks: TimeTagChunk[] = [];
    let reached: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      reached = resolve;
    });
    await running.start((chunk) => {
      chunks.push(chunk);
      if (chunk.epochPs + chunk.timesPs[chunk.timesPs.length - 1]! > 1.02e12) reached();
    });
    await done;
    const expected: Array<[number, number]> = [];
    for await (const c of (await openTimeTagFile(qutagFile)).chunks())
      for (let i = 0; i < c.timesPs.length; i++) expected.push([c.timesPs[i]!, c.channels[i]! + 1]);
    const live: Array<[number, number]> = [];
    for (const c of chunks)
      for (let i = 0; i < c.timesPs.length; i++)
        if (c.epochPs + c.timesPs[i]! < 1e12) live.push([c.epochPs + c.timesPs[i]!, c.channels[i]!]);
    expect(live.length).toBe(expected.length);
    expect(live.findIndex((r, i) => r[0] !== expected[i]![0] || r[1] !== expected[i]![1])).toBe(-1);
    const values = await running.readTelemetry();
    expect(values).toMatchObject({
      streaming: true,
      model: "Time Tagger Ultra",
      serialNumber: "1910000FAKE",
      softwareVersion: "2.17.4-fake",
      overflows: 0,
      faults: "",
    });
    const calls = (await readFile(log, "utf8")).trim().split("\n");
    expect(calls).toEqual([
      "createTimeTagger ''",
      "setTriggerLevel 2 -0.100",
      "setInputDelay 2 1500",
      "setEventDivider 1 4",
      "TimeTagStream 1000000 [1, 2]",
    ]);
  });

  it("overflows reported by the tagger are counted faults", async () => {
    fakeEnv({ SWABIAN_FAKE_OVERFLOW: "1" });
    running = tagger();
    await running.start(() => {});
    await new Promise((r) => setTimeout(r, 300));
    const values = await running.readTelemetry();
    expect(values.overflows).toBeGreaterThan(0);
    expect(values.faults).toContain("overflowed");
  });

  it("a sidecar that dies is the device's fault with its exit; the next start streams again", async () => {
    fakeEnv({ SWABIAN_FAKE_EXIT_AFTER_S: "0.3" });
    running = tagger();
    await running.start(() => {});
    await expect
      .poll(
        () =>
          running!.readTelemetry().then(
            () => "running",
            (e: Error) => e.message,
          ),
        { timeout: 10_000 },
      )
      .toBe("the Swabian sidecar exited (code 3)");
    fakeEnv({});
    await running.stop();
    await running.start(() => {});
    expect((await running.readTelemetry()).sidecarExits).toBe(1);
  });

  it("no unit, a wrong protocol, no Python: clear errors at start", async () => {
    fakeEnv({ SWABIAN_FAKE_NO_DEVICE: "1" });
    await expect(tagger().start(() => {})).rejects.toThrow(
      "the Swabian sidecar exited (code 2) before its handshake: swabian sidecar: RuntimeError: No Time Tagger found",
    );
    fakeEnv({});
    const wrong = join(await mkdtemp(join(tmpdir(), "sidecar-")), "old_sidecar.py");
    await writeFile(
      wrong,
      'import json, time\nprint(json.dumps({"sidecar": "photon-bench-swabian", "protocol": 0}), flush=True)\ntime.sleep(30)\n',
    );
    await expect(tagger({ sidecar: wrong }).start(() => {})).rejects.toThrow(
      "the Swabian sidecar speaks photon-bench-swabian protocol 0; this agent speaks photon-bench-swabian protocol 1",
    );
    await expect(tagger({ python: "/nonexistent/python3" }).start(() => {})).rejects.toThrow(
      "cannot run /nonexistent/python3: spawn /nonexistent/python3 ENOENT",
    );
  });
});

describe("the agent on a Swabian Time Tagger", () => {
  it("publishes the g2(0) and counts `analyze` gives for the file the tagger streams", async () => {
    fakeEnv({});
    const port = await freePort();
    const benchId = "swabian-hbt";
    const { config } = loadConfig({
      file: "config/examples/replay-bench.yaml",
      overrides: {
        benchId,
        "mqtt.embedded": { host: "127.0.0.1", port },
        "devices.tagger": {
          type: "swabian-tagger",
          modulePath: FAKE_MODULE,
          channels: { detectors: { detectorA: 1, detectorB: 2 } },
        },
      },
    });
    const agent = await startAgent(config, {
      logger,
      stateDir: await mkdtemp(join(tmpdir(), "swabian-agent-")),
    });
    const sub = await subscriber(`mqtt://127.0.0.1:${port}`, `photon-bench/${benchId}/#`);
    try {
      const root = `photon-bench/${benchId}`;
      const hbt = await sub.waitFor((m) => m.topic === `${root}/measurement/hbt`, 25_000);
      const rates = await sub.waitFor(
        (m) => m.topic === `${root}/measurement/rates` && m.payload.period === hbt.payload.period,
      );
      const analysed = spawnSync(process.execPath, [AGENT_CLI, "analyze", qutagFile, "--json"], {
        encoding: "utf8",
      });
      expect(analysed.status).toBe(0);
      const offline = JSON.parse(analysed.stdout) as {
        g2: Record<string, number>;
        photons: Record<string, number>;
      };
      const live = hbt.payload.g2 as Record<string, number>;
      const detectors = rates.payload.detectors as Record<string, { photons: number }>;
      expect(detectors.detectorA!.photons).toBe(offline.photons["0"]);
      expect(detectors.detectorB!.photons).toBe(offline.photons["1"]);
      expect(live.centreArea).toBe(offline.g2!.centreArea);
      expect(live.sidePeakMeanArea).toBe(offline.g2!.sidePeakMeanArea);
      expect(live.g2Zero).toBe(offline.g2!.g2Zero);
      expect(live.g2ZeroError).toBe(offline.g2!.g2ZeroError);
    } finally {
      await sub.close();
      await agent.stop("test over");
    }
  }, 45_000);
});
