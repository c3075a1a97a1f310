/**
 * A PicoQuant unit read live through its C library: a fake HHLib/MHLib (test/fixtures/fake-vendor/
 * fake-picoquant.c, built here) plays the HBT fixture's records through a FIFO, and the tagger loads
 * it through koffi as it would the vendor's. What comes out must be the file, tag for tag; the
 * settings must reach the library; overruns, a missing library and a unit that does not open end in
 * a counted fault or a clear error, never a crash.
 */
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type PicoQuantSettings, PicoQuantTagger } from "../../agent/sources/picoquant-tagger.js";
import { loadNativeLibrary } from "../../hal/backends/native-library.js";
import {
  callLog,
  fakeVendorLibrary,
  fileTags,
  firstDifference,
  setFakeEnv,
  streamTags,
  streamUntil,
} from "../helpers/fake-vendor.js";
import { expectLiveMatchesAnalyze } from "../helpers/live-vs-analyze.js";

const FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";
const logger = pino({ level: "silent" });
const hh = () => fakeVendorLibrary("fake-picoquant.c", "libhh400.so", { PQ_PREFIX: "HH_" });

function tagger(overrides: Partial<PicoQuantSettings> = {}) {
  return new PicoQuantTagger(
    "tagger",
    {
      model: "HydraHarp 400",
      library: hh(),
      deviceIndex: 0,
      pollMs: 5,
      syncDivider: 1,
      triggers: {},
      channelNames: { 0: "detectorA", 1: "detectorB" },
      ...overrides,
    },
    loadNativeLibrary,
    logger,
  );
}

function fakeEnv(env: Record<string, string>) {
  setFakeEnv("PQ_FAKE_", { PQ_FAKE_PTU: FIXTURE, ...env });
}

describe("picoquant-tagger through a fake vendor library", () => {
  let running: PicoQuantTagger | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it("streams the file's tags exactly: the first second of the stream is the whole fixture", async () => {
    fakeEnv({ PQ_FAKE_RECORDS_PER_S: "4000000" });
    running = tagger();
    const chunks = await streamUntil(running, 1.2e12);
    const live = streamTags(chunks, 1e12);
    expect(live.filter((t) => t[1] === 0).length).toBe(159_298);
    expect(live.filter((t) => t[1] === 1).length).toBe(224_721);
    const expected = await fileTags(FIXTURE);
    expect(firstDifference(live, expected)).toBe(-1);
    // The second copy starts a whole number of overflow wraps (2^25 ps) later, at or after 1 s.
    const second = chunks.find((c) => c.epochPs + c.timesPs[c.timesPs.length - 1]! >= 1e12)!;
    const firstLater = second.timesPs.find((t) => second.epochPs + t >= 1e12)! + second.epochPs;
    const shift = firstLater - expected[0]![0];
    expect(shift % 2 ** 25).toBe(0);
    expect(shift).toBeGreaterThanOrEqual(1e12);
    const values = await running.readTelemetry();
    expect(values).toMatchObject({
      streaming: true,
      serialNumber: "1020304",
      resolutionPs: 1,
      fifoOverruns: 0,
    });
    expect(values.recordsRead).toBeGreaterThanOrEqual(409_482);
    expect(values.faults).toEqual([]);
  });

  it("sets the sync divider and each input's discriminator in the library", async () => {
    const log = callLog("pq");
    fakeEnv({ PQ_FAKE_LOG: log.path });
    running = tagger({
      syncDivider: 8,
      channelNames: { 64: "sync", 0: "detectorA", 1: "detectorB" },
      triggers: {
        sync: { levelMv: 120, zeroCrossMv: 8, offsetPs: -5000 },
        "1": { levelMv: 70, zeroCrossMv: 12, offsetPs: 250 },
      },
    });
    await running.start(() => {});
    const calls = await log.calls();
    expect(calls.slice(0, 4)).toEqual(["OpenDevice 0", "Initialize 0 2", "Calibrate 0", "SetSyncDiv 0 8"]);
    expect(calls).toContain("SetSyncCFD 0 120 8");
    expect(calls).toContain("SetSyncChannelOffset 0 -5000");
    expect(calls).toContain("SetInputCFD 0 0 50 10"); // input 0 unset: the model's default
    expect(calls).toContain("SetInputCFD 0 1 70 12");
    expect(calls).toContain("SetInputChannelOffset 0 1 250");
    expect(calls.at(-1)).toBe(`StartMeas 0 ${360_000_000}`);
  });

  it("a MultiHarp takes edge triggers through MH_ calls", async () => {
    const log = callLog("pq-mh");
    fakeEnv({ PQ_FAKE_LOG: log.path });
    running = tagger({
      model: "MultiHarp 150/160",
      library: fakeVendorLibrary("fake-picoquant.c", "libmh150.so", { PQ_PREFIX: "MH_" }),
      triggers: { "0": { levelMv: -80, edge: "rising", offsetPs: 0 } },
    });
    await streamUntil(running, 0.1e12);
    const calls = await log.calls();
    expect(calls).not.toContain("Calibrate 0");
    expect(calls).toContain("SetInputEdgeTrg 0 0 -80 1");
    expect(calls).toContain("SetInputEdgeTrg 0 1 -50 0");
  });

  it("a FIFO overrun is counted and reported, and the stream goes on from a new measurement", async () => {
    fakeEnv({ PQ_FAKE_RECORDS_PER_S: "20000000", PQ_FAKE_FIFO_RECORDS: "50000" });
    running = tagger({ pollMs: 100 });
    let chunks = 0;
    await running.start(() => chunks++);
    await new Promise((r) => setTimeout(r, 600));
    const values = await running.readTelemetry();
    expect(values.fifoOverruns).toBeGreaterThanOrEqual(1);
    expect(values.streamRestarts).toBe(values.fifoOverruns);
    expect(String(values.faults)).toContain("FIFO overrun");
    expect(values.streaming).toBe(true);
    expect(chunks).toBeGreaterThan(0);
  });

  it("sync lost and the library's warnings are faults in telemetry", async () => {
    fakeEnv({ PQ_FAKE_FLAGS: "4", PQ_FAKE_WARNINGS: "2" });
    running = tagger();
    await streamUntil(running, 0.05e12);
    const values = await running.readTelemetry();
    expect(values.syncLosses).toBe(1);
    expect(values.faults).toEqual(["sync lost", "WARNING 0x2"]);
  });

  it("a missing library and a unit that does not open are clear errors, from start and from telemetry", async () => {
    fakeEnv({});
    const missing = tagger({ library: "/opt/picoquant/nonexistent/libhh400.so" });
    await expect(missing.start(() => {})).rejects.toThrow(
      "/opt/picoquant/nonexistent/libhh400.so: the HydraHarp 400 library not found (ENOENT)",
    );
    await expect(missing.readTelemetry()).rejects.toThrow("not found");
    fakeEnv({ PQ_FAKE_NO_DEVICE: "1" });
    const absent = tagger();
    await expect(absent.start(() => {})).rejects.toThrow("HH_OpenDevice returned -1 ERROR_DEVICE_OPEN_FAIL");
    // Plugged in again: the next start (the supervisor's retry) streams.
    fakeEnv({});
    running = absent;
    await streamUntil(absent, 0.05e12);
    expect((await absent.readTelemetry()).streaming).toBe(true);
  });
});

describe("the agent on a PicoQuant unit", () => {
  it("publishes the g2(0) and photon counts `analyze` gives for the file the unit streams", async () => {
    fakeEnv({ PQ_FAKE_RECORDS_PER_S: "4000000" });
    const { live, photons } = await expectLiveMatchesAnalyze({
      benchId: "pq-hbt",
      tagger: {
        type: "picoquant-tagger",
        model: "HydraHarp 400",
        library: hh(),
        channels: { detectors: { detectorA: 0, detectorB: 1 } },
      },
      file: FIXTURE,
      analyzeChannels: [0, 1],
    });
    expect(photons).toEqual([159_298, 224_721]);
    expect(live.centreArea).toBe(2);
  }, 40_000);
});
