/**
 * A quTAG read live through tdcbase: a fake tdcbase (test/fixtures/fake-vendor/fake-tdcbase.c,
 * built here) plays a .qutag file — the HBT fixture's first 0.9 s, on a unit clock 3 h in (past
 * 2^53 ps), each block of 500 records written channel by channel as a quTAG does, so not in time
 * order — through its timestamp ring buffer. What the tagger hands on must be what the .qutag reader
 * reads from the file, tag for tag, and the agent's g2(0) what `analyze` prints for it.
 */
import pino from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type QutagSettings, QutagTagger } from "../../agent/sources/qutag-tagger.js";
import { loadNativeLibrary } from "../../hal/backends/native-library.js";
import {
  callLog,
  fakeVendorLibrary,
  fileTags,
  firstDifference,
  fixtureAsQutag,
  setFakeEnv,
  streamTags,
  streamUntil,
} from "../helpers/fake-vendor.js";
import { expectLiveMatchesAnalyze } from "../helpers/live-vs-analyze.js";

const _FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";
const CLOCK_START_PS = 3n * 3600n * 10n ** 12n;
const logger = pino({ level: "silent" });
const lib = () => fakeVendorLibrary("fake-tdcbase.c", "libtdcbase.so");
let qutagFile = "";

beforeAll(async () => {
  qutagFile = await fixtureAsQutag({ untilPs: 0.9e12, firstTagPs: CLOCK_START_PS, grouped: true });
});

function fakeEnv(env: Record<string, string>) {
  setFakeEnv("QUTAG_FAKE_", { QUTAG_FAKE_FILE: qutagFile, ...env });
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
    const log = callLog("qutag");
    fakeEnv({ QUTAG_FAKE_RECORDS_PER_S: "4000000", QUTAG_FAKE_LOG: log.path });
    running = tagger({ inputs: { "1": { thresholdV: -0.25, edge: "falling", delayPs: 1200 } } });
    const live = streamTags(await streamUntil(running, 1.05e12), 1e12);
    expect(firstDifference(live, await fileTags(qutagFile))).toBe(-1);
    const values = await running.readTelemetry();
    expect(values.reordered).toBeGreaterThan(0); // the blocks were out of order, and sorted
    expect(values).toMatchObject({ dataLosses: 0, bufferOverruns: 0, lateDropped: 0, faults: [] });
    const calls = await log.calls();
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
    expect(String(values.faults)).toContain("filled between two reads");
    expect(String(values.faults)).toContain("data lost");
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
    const { photons } = await expectLiveMatchesAnalyze({
      benchId: "qutag-hbt",
      tagger: {
        type: "qutag-tagger",
        library: lib(),
        channels: { detectors: { detectorA: 0, detectorB: 1 } },
      },
      file: qutagFile,
      analyzeChannels: [0, 1],
    });
    expect(photons[0]! + photons[1]!).toBeGreaterThan(300_000); // 0.9 s of the fixture
  }, 40_000);
});
