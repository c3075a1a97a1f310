/**
 * The alignment service against HAL mocks (sinon): a stage that cannot be read at start-up does not
 * stop the agent — the service raises alignment-lost and retries — and stop() ends its wait at once.
 */
import pino from "pino";
import sinon from "sinon";
import { describe, expect, it } from "vitest";
import type { AlarmPayload } from "../../../agent/events.js";
import { EventBus } from "../../../agent/events.js";
import { AlignmentService } from "../../../agent/services/alignment.js";
import type { Actuator, PowerMonitor } from "../../../hal/interfaces.js";
import { simConfig } from "../../helpers/bench-config.js";

describe("AlignmentService", () => {
  it("a faulted stage at start-up: alarm, no throw, no move; stop() returns without waiting out the retry", async () => {
    const actuator = {
      axes: ["x", "y", "z"],
      readPositionUm: sinon.stub().rejects(new Error("MCP4728 at 0x60 did not answer")),
      moveToUm: sinon.stub().resolves(),
    } as unknown as Actuator & { moveToUm: sinon.SinonStub };
    const alarms: AlarmPayload[] = [];
    const logger = pino({ level: "silent" });
    const bus = new EventBus(logger);
    bus.on("alarm", (a) => alarms.push(a));
    const config = simConfig({ "alignment.enabled": true });
    const monitor = { readInputV: async () => 0.1 } as unknown as PowerMonitor;
    const service = new AlignmentService({
      slice: config.slices.alignment!,
      actuators: new Map([[config.alignment.stage, actuator]]),
      powerMonitors: new Map([[(config.alignment.signal as { device: string }).device, monitor]]),
      bus,
      heldRules: () => [],
      faultedDevices: () => [],
      logger,
    });
    await service.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alarms).toEqual([
      expect.objectContaining({
        name: "alignment-lost",
        active: true,
        message: "alignment failed: MCP4728 at 0x60 did not answer",
      }),
    ]);
    expect(actuator.moveToUm.called).toBe(false);
    const started = performance.now();
    await service.stop(); // the first retry is 5 s away
    expect(performance.now() - started).toBeLessThan(500);
  });
});
