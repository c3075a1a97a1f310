/** The operations service before and after its start: alarms raised while the agent starts up are not lost. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../agent/events.js";
import { OperationsService } from "../../../agent/operations/operations-service.js";
import { simConfig } from "../../helpers/bench-config.js";

describe("operations service", () => {
  it("an interlock latched from before a restart (raised while the rest starts) opens an incident, kept across the next restart", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "ops-"));
    const make = (bus: EventBus) =>
      new OperationsService({
        config: simConfig(),
        current: () => simConfig(),
        bus,
        stateDir,
        request: async () => ({ transaction: null, status: "ok" }),
        runId: () => undefined,
        clearRetained: () => {},
        incidentTopic: (id) => id,
        logger: pino({ level: "silent" }),
      });
    const bus = new EventBus(pino({ level: "silent" }));
    const ops = make(bus);
    bus.emit("alarm", {
      ts: new Date().toISOString(),
      name: "interlock-cryostat",
      active: true,
      severity: "critical",
      message: "inputs clear; latched until reset (interlock/reset)",
    });
    await ops.start();
    expect(ops.incidents.open().map((i) => i.cause.alarm)).toEqual(["interlock-cryostat"]);
    await ops.stop();
    const again = make(new EventBus(pino({ level: "silent" })));
    expect(again.incidents.open().map((i) => [i.cause.alarm, i.state])).toEqual([
      ["interlock-cryostat", "open"],
    ]);
  });
});
