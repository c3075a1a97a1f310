/** Vendor taggers' settings that name inputs the tagger does not stream are refused, saying where. */
import { describe, expect, it } from "vitest";
import { deviceSchema } from "../../../config/devices.js";

const issues = (device: unknown) => {
  const result = deviceSchema.safeParse(device);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("vendor tagger inputs", () => {
  it("a discriminator, a threshold or a trigger level for an input not streamed is refused", () => {
    const detectors = { detectorA: 0, detectorB: 1 };
    expect(
      issues({
        type: "picoquant-tagger",
        model: "HydraHarp 400",
        library: "/x.so",
        triggers: { "2": { levelMv: 50 } },
        channels: { detectors },
      }),
    ).toEqual(["triggers: triggers may name only the inputs in channels (and sync if it is there)"]);
    expect(
      issues({
        type: "picoquant-tagger",
        model: "HydraHarp 400",
        library: "/x.so",
        triggers: { sync: { levelMv: 50 } },
        channels: { detectors },
      }),
    ).toHaveLength(1);
    expect(
      issues({
        type: "qutag-tagger",
        library: "/x.so",
        inputs: { "5": { thresholdV: 0.5 } },
        channels: { detectors },
      }),
    ).toEqual(["inputs: inputs may name only the inputs in channels (and sync if it is there)"]);
    expect(
      issues({
        type: "swabian-tagger",
        inputs: { "1": { triggerLevelV: 0.5 } },
        channels: { detectors: { detectorA: 1, detectorB: 2 } },
      }),
    ).toEqual([]);
    expect(
      issues({
        type: "swabian-tagger",
        inputs: { "3": { delayPs: 5 } },
        channels: { detectors: { detectorA: 1, detectorB: 2 } },
      }),
    ).toHaveLength(1);
  });

  it("a PicoQuant sync is channel 64, and inputs are below 64", () => {
    expect(
      issues({
        type: "picoquant-tagger",
        model: "MultiHarp 150/160",
        library: "/x.so",
        channels: { sync: 0, detectors: { a: 1 } },
      }),
    ).toEqual(["channels.sync: a PicoQuant sync is channel 64 (as analyze numbers it)"]);
  });
});
