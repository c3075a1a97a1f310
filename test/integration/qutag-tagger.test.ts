/**
 * A quTAG read live through tdcbase: a fake tdcbase (test/fixtures/fake-vendor/fake-tdcbase.c,
 * built here) plays a .qutag file — the HBT fixture's first 0.9 s, on a unit clock 3 h in (past
 * 2^53 ps), each block of 500 records written channel by channel as a quTAG does, so not in time
 * order — through its timestamp ring buffer. What the tagger hands on must be what the .qutag reader
 * reads from the file, tag for tag, and the agent's g2(0) what `analyze` prints for it.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openTimeTagFile } from "../../agent/correlation/readers/open.js";
import { startAgent } from "../../agent/main.js";
import { type QutagSettings, QutagTagger } from "../../agent/sources/qutag-tagger.js";
import { loadConfig } from "../../config/load.js";
import { loadNativeLibrary } from "../../hal/backends/native-library.js";
import type { TimeTagChunk } from "../../hal/interfaces.js";
import { fakeVendorLibrary } from "../helpers/fake-vendor.js";
import { AGENT_CLI, freePort, subscriber } from "../helpers/processes.js";

const FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";
const CLOCK_START_PS = 3n * 3600n * 10n ** 12n;
const logger = pino({ level: "silent" });
const lib = () => fakeVendorLibrary("fake-tdcbase.c", "libtdcbase.so");
let qutagFile = "";

/** The fixture's tags before 0.9 s as a quTAG binary file, channel-grouped in blocks of 500. */
async function writeQutagFromFixture(file: string): Promise<void> {
  const records: Array<[number, number]> = [];
  for await (const c of (await openTimeTagFile(FIXTURE)).chunks())
    for (let i = 0; i < c.timesPs.length; i++)
      if (c.timesPs[i]! < 0.9e12) records.push([c.timesPs[i]!, c.channels[i]!]);
  const body = Buffer.alloc(40 + 10 * records.length);
  body.write("photon-bench test quTAG", 0, "latin1");
  let at = 40;
  for (let b = 0; b < records.length; b += 500) {
    const block = records.slice(b, b + 500);
    for (const [t, ch] of [...block.filter((r) => r[1] === 0), ...block.filter((r) => r[1] !== 0)]) {
      body.writeBigUInt64LE(CLOCK_START_PS + BigInt(t), at);
      body.writeUInt16LE(ch, at + 8);
      at += 10;
    }
  }
  await writeFile(file, body);
}

beforeAll(async () => {
  qutagFile = join(await mkdtemp(join(tmpdir(), "qutag-")), "hbt.qutag");
  await writeQutagFromFixture(qutagFile);
});

function fakeEnv(env: Record<string, string>) {
  for (const key of Object.keys(process.env)) if (key.startsWith("QUTAG_FAKE_")) delete process.env[key];
  Object.assign(process.env, { QUTAG_FAKE_FILE: qutagFile, ...env });
}

function tagger(overrides: Partial<QutagSettings> = {}) {
  const settings: QutagSettings = {
    library: lib(),
    deviceId: -1,
    bufferSize: 1_000_000,
    pollMs: 5,
    exposureMs: 1000,
    reorderWindowPs: 10e9,
    inputs: {},
    channelNames: { 0: "detectorA", 1: "detectorB" },
    ...overrides,
  };
  return new QutagTagger("tagger", settings, loadNativeLibrary, logger);
}

describe("qutag-tagger through a fake tdcbase", () => {
  let running: QutagTagger | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it("hands on the file's tags in time order, exactly as the .qutag reader reads them", async () => {
    const log = join(tmpdir(), `qutag-log-${process.pid}.txt`);
    await rm(log, { force: true });
    fakeEnv({ QUTAG_FAKE_RECORDS_PER_S: "4000000", QUTAG_FAKE_LOG: log });
    running = tagger({ inputs: { "1": { thresholdV: -0.25, edge: "falling", delayPs: 1200 } } });
    const chunks: TimeTagChunk[] = [];
    await new Promise<void>((resolve, reject) => {
      running!
        .start((chunk) => {
          chunks.push(chunk);
          if (chunk.epochPs + chunk.timesPs[chunk.timesPs.length - 1]! > 1.05e12) resolve();
        })
        .catch(reject);
    });
    const expected: Array<[number, number]> = [];
    for await (const c of (await openTimeTagFile(qutagFile)).chunks())
      for (let i = 0; i < c.timesPs.length; i++) expected.push([c.timesPs[i]!, c.channels[i]!]);
    const live: Array<[number, number]> = [];
    for (const c of chunks)
      for (let i = 0; i < c.timesPs.length; i++)
        if (c.epochPs + c.timesPs[i]! < 1e12) live.push([c.epochPs + c.timesPs[i]!, c.channels[i]!]);
    expect(live.length).toBe(expected.length);
    expect(live.findIndex((r, i) => r[0] !== expected[i]![0] || r[1] !== expected[i]![1])).toBe(-1);
    const values = await running.readTelemetry();
    expect(values.reordered).toBeGreaterThan(0); // the blocks were out of order, and sorted
    expect(values).toMatchObject({ dataLosses: 0, bufferOverruns: 0, lateDropped: 0, faults: "" });
    const calls = (await readFile(log, "utf8")).trim().split("\n");
    expect(calls).toEqual([
      "TDC_init -1",
      "TDC_enableChannels 0 3",
      "TDC_configureSignalConditioning 2 3 0 -0.250",
      "TDC_setChannelDelay 2 1200",
      "TDC_setExposureTime 1000",
      "TDC_setTimestampBufferSize 1000000",
    ]);
  });

  it("a ring buffer that fills between reads, and lost data, are counted faults; the stream goes on", async () => {
    fakeEnv({ QUTAG_FAKE_RECORDS_PER_S: "20000000" });
    running = tagger({ bufferSize: 1000, pollMs: 50 });
    let tags = 0;
    await running.start((c) => {
      tags += c.timesPs.length;
    });
    await new Promise((r) => setTimeout(r, 400));
    const values = await running.readTelemetry();
    expect(values.bufferOverruns).toBeGreaterThanOrEqual(1);
    expect(values.dataLosses).toBeGreaterThanOrEqual(1);
    expect(values.faults).toContain("filled between two reads");
    expect(values.faults).toContain("data lost");
    expect(values.streaming).toBe(true);
    expect(tags).toBeGreaterThan(0);
  });

  it("no library, or no unit: tdcbase's own error, and a later start streams", async () => {
    fakeEnv({});
    const missing = tagger({ library: "/opt/qutools/none/libtdcbase.so" });
    await expect(missing.start(() => {})).rejects.toThrow(
      "/opt/qutools/none/libtdcbase.so: the quTAG library (tdcbase) not found",
    );
    fakeEnv({ QUTAG_FAKE_NO_DEVICE: "1" });
    const absent = tagger();
    await expect(absent.start(() => {})).rejects.toThrow("TDC_init returned 8 TDC_NotConnected");
    await expect(absent.readTelemetry()).rejects.toThrow("TDC_NotConnected");
    fakeEnv({});
    running = absent;
    await absent.start(() => {});
    expect((await absent.readTelemetry()).streaming).toBe(true);
  });
});

describe("the agent on a quTAG", () => {
  it("publishes the g2(0) and counts `analyze` gives for the .qutag file the unit streams", async () => {
    fakeEnv({ QUTAG_FAKE_RECORDS_PER_S: "4000000" });
    const port = await freePort();
    const benchId = "qutag-hbt";
    const { config } = loadConfig({
      file: "config/examples/replay-bench.yaml",
      overrides: {
        benchId,
        "mqtt.embedded": { host: "127.0.0.1", port },
        "devices.tagger": {
          type: "qutag-tagger",
          library: lib(),
          channels: { detectors: { detectorA: 0, detectorB: 1 } },
        },
      },
    });
    const agent = await startAgent(config, {
      logger,
      stateDir: await mkdtemp(join(tmpdir(), "qutag-agent-")),
    });
    const sub = await subscriber(`mqtt://127.0.0.1:${port}`, `photon-bench/${benchId}/#`);
    try {
      const root = `photon-bench/${benchId}`;
      const hbt = await sub.waitFor((m) => m.topic === `${root}/measurement/hbt`, 20_000);
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
      expect(offline.photons["0"]! + offline.photons["1"]!).toBeGreaterThan(300_000); // 0.9 of the fixture
      expect(live.centreArea).toBe(offline.g2!.centreArea);
      expect(live.sidePeakMeanArea).toBe(offline.g2!.sidePeakMeanArea);
      expect(live.g2Zero).toBe(offline.g2!.g2Zero);
      expect(live.g2ZeroError).toBe(offline.g2!.g2ZeroError);
    } finally {
      await sub.close();
      await agent.stop("test over");
    }
  }, 40_000);
});
