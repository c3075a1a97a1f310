/**
 * A time-tag file played as a live tagger (`replay-tagger`): the agent correlates the HBT fixture
 * on the fly, through the same live engine as a tagger on the bench, and publishes what `analyze`
 * prints for the file — the reference counts 159,298 and 224,721 photons, g2(0) from 2
 * coincidences against a mean side-peak area of ≈ 506. A file it cannot read is a device alarm.
 */
import { afterEach, describe, expect, it } from "vitest";
import { agentWithTagger, expectLiveMatchesAnalyze } from "../helpers/live-vs-analyze.js";

const FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";

describe("replay-tagger", () => {
  let running: Awaited<ReturnType<typeof agentWithTagger>> | undefined;
  afterEach(async () => {
    await running?.sub.close();
    await running?.agent.stop("test over");
    running = undefined;
  });

  it("correlates the fixture live (20× real time) to the g2(0) and counts `analyze` gives for it", async () => {
    // Each integration period (1 s) holds one whole copy of the 1.000 s file.
    const { live, offline, photons } = await expectLiveMatchesAnalyze({
      benchId: "replay-hbt",
      tagger: {
        type: "replay-tagger",
        file: FIXTURE,
        speed: 20,
        loop: true,
        channels: { detectors: { detectorA: 0, detectorB: 1 } },
      },
      file: FIXTURE,
      analyzeChannels: [0, 1],
    });
    expect(photons).toEqual([159_298, 224_721]);
    expect(live.kind).toBe("pulsed");
    expect(live.centreArea).toBe(2);
    expect(live.g2Zero).toBeCloseTo(0.004, 3);
    expect(live.periodPs).toBeCloseTo(offline.periodPs!, 2);
    expect(live.zeroDelayPs).toBeCloseTo(offline.zeroDelayPs!, 0);
  }, 40_000);

  it("a file it cannot open is the tagger's device alarm, naming the file, and the agent runs on", async () => {
    running = await agentWithTagger("replay-missing", {
      type: "replay-tagger",
      file: "/nonexistent/run-42.ptu",
      channels: { detectors: { detectorA: 0, detectorB: 1 } },
    });
    const { sub, root } = running;
    const alarm = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/device-tagger` && m.payload.active === true,
      15_000,
    );
    expect(String(alarm.payload.message)).toContain("/nonexistent/run-42.ptu");
    const answer = await sub.request(root, "agent/ping", {});
    expect(answer.status).toBe("ok");
  }, 30_000);
});
