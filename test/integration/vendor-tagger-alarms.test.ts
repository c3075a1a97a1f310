/**
 * Vendor taggers' faults as an operator sees them, in the running agent: a library that is not
 * there is the tagger's device alarm naming the path, retried with backoff, and the agent runs on;
 * FIFO overruns are the instrument alarm with the count in telemetry; a Swabian sidecar that dies is
 * the device alarm with its exit, and the stream comes back when it is restarted.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURE_PTU, fakeVendorLibrary, fixtureAsQutag, setFakeEnv } from "../helpers/fake-vendor.js";
import { agentWithTagger } from "../helpers/live-vs-analyze.js";

const detectors = { detectorA: 0, detectorB: 1 };

describe("vendor tagger faults in the agent", () => {
  let running: Awaited<ReturnType<typeof agentWithTagger>> | undefined;
  afterEach(async () => {
    await running?.sub.close();
    await running?.agent.stop("test over");
    running = undefined;
  });

  it("a missing PicoQuant library: the device alarm names the path, and the agent answers", async () => {
    running = await agentWithTagger("pq-missing", {
      type: "picoquant-tagger",
      model: "HydraHarp 400",
      library: "/opt/picoquant/none/libhh400.so",
      channels: { detectors },
    });
    const { sub, root } = running;
    const alarm = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/device-tagger` && m.payload.active === true,
      15_000,
    );
    expect(String(alarm.payload.message)).toContain(
      "/opt/picoquant/none/libhh400.so: the HydraHarp 400 library not found",
    );
    expect((await sub.request(root, "agent/ping", {})).status).toBe("ok");
  }, 30_000);

  it("FIFO overruns: the instrument alarm, the count in the tagger's telemetry", async () => {
    setFakeEnv("PQ_FAKE_", {
      PQ_FAKE_PTU: FIXTURE_PTU,
      PQ_FAKE_RECORDS_PER_S: "50000000",
      PQ_FAKE_FIFO_RECORDS: "100000",
    });
    running = await agentWithTagger("pq-overrun", {
      type: "picoquant-tagger",
      model: "HydraHarp 400",
      library: fakeVendorLibrary("fake-picoquant.c", "libhh400.so", { PQ_PREFIX: "HH_" }),
      pollMs: 200,
      channels: { detectors },
    });
    const { sub, root } = running;
    const alarm = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/instrument-tagger` && m.payload.active === true,
      15_000,
    );
    expect(String(alarm.payload.message)).toContain("FIFO overrun");
    const telemetry = await sub.waitFor(
      (m) =>
        m.topic === `${root}/telemetry/tagger` &&
        Number((m.payload.values as Record<string, number>).fifoOverruns) > 0,
    );
    expect((telemetry.payload.values as Record<string, unknown>).streaming).toBe(true);
  }, 30_000);

  it("a Swabian sidecar that dies: the device alarm with its exit, then the stream again", async () => {
    const file = await fixtureAsQutag({ untilPs: 0.2e12, firstTagPs: 10_000_000_000n, grouped: false });
    // The first sidecar dies after 1 s; the one the supervisor starts next streams on.
    const once = join(mkdtempSync(join(tmpdir(), "swabian-once-")), "died");
    setFakeEnv("SWABIAN_FAKE_", {
      SWABIAN_FAKE_FILE: file,
      SWABIAN_FAKE_RATE: "200000",
      SWABIAN_FAKE_EXIT_AFTER_S: "1",
      SWABIAN_FAKE_EXIT_ONCE: once,
    });
    running = await agentWithTagger("swabian-dies", {
      type: "swabian-tagger",
      modulePath: "test/fixtures/fake-vendor/swabian",
      channels: { detectors: { detectorA: 1, detectorB: 2 } },
    });
    const { sub, root } = running;
    const down = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/device-tagger` && m.payload.active === true,
      15_000,
    );
    expect(String(down.payload.message)).toContain("the Swabian sidecar exited (code 3)");
    // The supervisor restarts it, and the alarm clears once the new one streams.
    const from = sub.messages.indexOf(down);
    await sub.waitFor(
      (m) => m.topic === `${root}/alarm/device-tagger` && m.payload.active === false,
      15_000,
      from,
    );
  }, 40_000);
});
