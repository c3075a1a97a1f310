/** Which Sparkplug writes are commands, and the control-plane verb each becomes. */
import { describe, expect, it } from "vitest";
import { commandFor } from "../../../agent/sparkplug/commands.js";

describe("commandFor", () => {
  it.each([
    ["laser", "emission", true, { verb: "laser/emission", args: { device: "laser", on: true } }],
    ["laser", "powerMw", 2.5, { verb: "laser/power", args: { device: "laser", powerMw: 2.5 } }],
    ["cryostat", "setpointK", 4.2, { verb: "cryostat/setpoint", args: { device: "cryostat", tempK: 4.2 } }],
    [
      "cryostat",
      "heaterRange",
      "low",
      { verb: "cryostat/heater-range", args: { device: "cryostat", range: "low" } },
    ],
    ["detectorA", "enabled", false, { verb: "detector/bias", args: { device: "detectorA", on: false } }],
    ["detectorA", "biasUa", 9, { verb: "detector/bias", args: { device: "detectorA", on: true, biasUa: 9 } }],
    [
      "stage",
      "yPositionUm",
      42,
      { verb: "stage/move", args: { device: "stage", axis: "y", positionUm: 42 } },
    ],
    ["aligner", "mode", "track", { verb: "alignment/track", args: {} }],
    ["alarms", "interlock-door/acknowledged", true, { verb: "alarm/ack", args: { name: "interlock-door" } }],
    ["interlocks", "doorLatched", false, { verb: "interlock/reset", args: { rules: ["door"] } }],
  ])("%s/%s = %s", (device, metric, value, expected) =>
    expect(commandFor(device, metric, value)).toEqual(expected),
  );

  it.each([
    ["cryostat", "sampleTempK", 3, /read-only/],
    ["aligner", "mode", "blocked", /one of search, peak, track, stop/],
    ["alarms", "interlock-door/acknowledged", false, /to true/],
    ["interlocks", "doorLatched", true, /to false/],
    ["laser", "__proto__", 1, /read-only/],
  ])("%s/%s = %s is refused", (device, metric, value, why) => {
    const result = commandFor(device, metric, value);
    expect("refused" in result && result.refused).toMatch(why);
  });
});
