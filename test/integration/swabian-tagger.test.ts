/**
 * A Swabian Time Tagger through the Python sidecar (sidecars/swabian_stream.py, run by the real
 * python3) with a fake `TimeTagger` module (test/fixtures/fake-vendor/swabian/) that plays a
 * .qutag file — the HBT fixture's first 0.9 s, its first tag at 10 ms — as the tagger's stream
 * (quTAG channel c is input c + 1). The tags must arrive as the file has them; a sidecar that dies,
 * one that cannot open the unit, or one that speaks another protocol ends in a clear fault and a
 * restart, never a crash; and the agent's g2(0) is what `analyze` prints for the file.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SwabianSettings, SwabianTagger } from "../../agent/sources/swabian-tagger.js";
import {
  callLog,
  fileTags,
  firstDifference,
  fixtureAsQutag,
  setFakeEnv,
  streamTags,
  streamUntil,
} from "../helpers/fake-vendor.js";
import { expectLiveMatchesAnalyze } from "../helpers/live-vs-analyze.js";

const _FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";
const FAKE_MODULE = "test/fixtures/fake-vendor/swabian";
const logger = pino({ level: "silent" });
let qutagFile = "";

beforeAll(async () => {
  // The fixture before 0.9 s, its first tag at 10 ms: `analyze` counts a .qutag file from its
  // first tag less its 10 ms reorder window, so its times are the tagger's own.
  qutagFile = await fixtureAsQutag({ untilPs: 0.9e12, firstTagPs: 10_000_000_000n, grouped: false });
});

function fakeEnv(env: Record<string, string>) {
  setFakeEnv("SWABIAN_FAKE_", { SWABIAN_FAKE_FILE: qutagFile, SWABIAN_FAKE_RATE: "1000000", ...env });
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
    const log = callLog("swabian");
    fakeEnv({ SWABIAN_FAKE_LOG: log.path });
    running = tagger({ inputs: { "2": { triggerLevelV: -0.1, delayPs: 1500 } }, eventDividers: { "1": 4 } });
    const live = streamTags(await streamUntil(running, 1.02e12), 1e12);
    // quTAG channel c is Time Tagger input c + 1 in the fake.
    expect(firstDifference(live, await fileTags(qutagFile, (c) => c + 1))).toBe(-1);
    const values = await running.readTelemetry();
    expect(values).toMatchObject({
      streaming: true,
      model: "Time Tagger Ultra",
      serialNumber: "1910000FAKE",
      softwareVersion: "2.17.4-fake",
      overflows: 0,
      faults: [],
    });
    const calls = await log.calls();
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
    expect(String(values.faults)).toContain("overflowed");
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
    await expectLiveMatchesAnalyze({
      benchId: "swabian-hbt",
      tagger: {
        type: "swabian-tagger",
        modulePath: FAKE_MODULE,
        channels: { detectors: { detectorA: 1, detectorB: 2 } },
      },
      file: qutagFile,
      analyzeChannels: [0, 1],
      timeoutMs: 25_000,
    });
  }, 45_000);
});
