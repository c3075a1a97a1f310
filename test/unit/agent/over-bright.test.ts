import pino from "pino";
import sinon from "sinon";
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../agent/events.js";
import { OverBrightGuard } from "../../../agent/services/over-bright.js";
import type { Detector } from "../../../hal/interfaces.js";

const logger = pino({ level: "silent" });

/** `n` tags on `channel` evenly over [startPs, startPs + spanPs], in one chunk. */
function chunk(channel: number, n: number, startPs: number, spanPs: number, epochPs = 0) {
  const timesPs = Float64Array.from({ length: n }, (_, i) => startPs + (i * spanPs) / (n - 1));
  return { channels: new Uint8Array(n).fill(channel), timesPs, epochPs };
}

describe("OverBrightGuard", () => {
  it("takes each detector's rate over 100 ms of tag time and switches off only the one above the limit", async () => {
    const bus = new EventBus(logger);
    const alarms: Array<{ name: string; active: boolean; message: string }> = [];
    bus.on("alarm", (a) => alarms.push(a));
    const a = { makeSafe: sinon.stub().resolves() } as unknown as Detector & { makeSafe: sinon.SinonStub };
    const b = { makeSafe: sinon.stub().resolves() } as unknown as Detector & { makeSafe: sinon.SinonStub };
    const guard = new OverBrightGuard({
      channels: new Map([["tagger", { detectorA: 1, detectorB: 2 }]]),
      detectors: new Map([
        ["detectorA", a],
        ["detectorB", b],
      ]),
      maxCps: () => 1e6,
      bus,
      logger,
    });
    await guard.start();
    // 99,001 tags over exactly 0.1 s on channel 1 (990 kcps), 100 on channel 2; the epoch adds 2^32 ps.
    const epochPs = 2 ** 32;
    bus.emit("tags", { source: "tagger", chunk: chunk(1, 99_001, 0, 0.05e12, epochPs) });
    bus.emit("tags", { source: "tagger", chunk: chunk(2, 100, 0.05e12, 0.05e12, epochPs) });
    expect(a.makeSafe.called).toBe(false); // 0.99 Mcps is below 1 Mcps
    // The next 0.1 s: 120,001 tags on channel 1 → 1.2 Mcps.
    bus.emit("tags", { source: "tagger", chunk: chunk(1, 120_001, 0.2e12, 0.1e12, epochPs) });
    expect(a.makeSafe.callCount).toBe(1);
    expect(b.makeSafe.called).toBe(false);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ name: "over-bright-detectorA", active: true });
    expect(alarms[0]!.message).toMatch(
      /^detectorA counted 1\.20 Mcps over 0\.10 s, above safety\.detectorMaxCps 1\.00 Mcps/,
    );
    // Still bright: no second switch-off or alarm while it stays raised; a tagger not watched is ignored.
    bus.emit("tags", { source: "tagger", chunk: chunk(1, 120_001, 0.4e12, 0.1e12, epochPs) });
    bus.emit("tags", { source: "other", chunk: chunk(1, 120_001, 0.4e12, 0.1e12) });
    expect(a.makeSafe.callCount).toBe(1);
    expect(guard.health()).toEqual({ overBrightTrips: 1 });
    // Bias on again by command: the alarm clears; a refused command does not clear it.
    bus.emit("audit", {
      ts: "",
      verb: "detector/bias",
      transaction: "t",
      via: "mqtt",
      status: "error",
      request: { device: "detectorA", on: true },
    });
    expect(alarms).toHaveLength(1);
    bus.emit("audit", {
      ts: "",
      verb: "detector/bias",
      transaction: "t",
      via: "mqtt",
      status: "ok",
      request: { device: "detectorA", on: true },
    });
    expect(alarms.at(-1)).toMatchObject({ name: "over-bright-detectorA", active: false });
    await guard.stop();
  });
});
