/** The publish-acknowledgement latency window behind mqttPublishAckP99Ms. */
import { describe, expect, it } from "vitest";
import { LatencyWindow } from "../../../agent/mqtt/latency.js";

describe("LatencyWindow", () => {
  it("gives the quantile of what it holds, 0 when empty", () => {
    const w = new LatencyWindow(100);
    expect(w.quantile(0.99)).toBe(0);
    for (let ms = 1; ms <= 100; ms++) w.record(ms);
    expect(w.quantile(0.5)).toBe(51);
    expect(w.quantile(0.99)).toBe(100);
  });

  it("keeps only the latest samples: an old slow spell ages out", () => {
    const w = new LatencyWindow(10);
    for (let i = 0; i < 10; i++) w.record(500);
    for (let i = 0; i < 10; i++) w.record(2.04);
    expect(w.quantile(0.99)).toBe(2);
  });
});
