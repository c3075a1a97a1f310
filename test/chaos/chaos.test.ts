/**
 * The chaos suite (./scenarios.ts). `make test` runs the quick scenarios; `make chaos` (CHAOS=full)
 * runs every one and prints one JSON line each, {scenario, safeState, alarm, lostMessages,
 * recoveredS}, then a summary. Each must end safe, with the alarm it is about, and lose no QoS 1
 * message.
 */
import { appendFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, findTool, startMosquitto } from "../helpers/processes.js";
import type { ChaosResult } from "./harness.js";
import { SCENARIOS } from "./scenarios.js";
import { EXTRA_SCENARIOS } from "./scenarios-extra.js";
import { MORE_SCENARIOS } from "./scenarios-more.js";

const mosquitto = findTool("mosquitto", "REQUIRE_MOSQUITTO");
const FULL = process.env.CHAOS === "full";
const REPORT = process.env.CHAOS_REPORT;

describe.skipIf(!mosquitto)("chaos", () => {
  let broker: Broker;
  const results: ChaosResult[] = [];
  beforeAll(async () => {
    broker = await startMosquitto(mosquitto!, { persistent: true });
  });
  afterAll(async () => {
    await broker.stop();
  });

  for (const scenario of [...SCENARIOS, ...MORE_SCENARIOS, ...EXTRA_SCENARIOS].filter(
    (s) => FULL || s.quick,
  )) {
    it(scenario.name, async (context) => {
      const outcome = await scenario.run(broker);
      if ("skipped" in outcome) {
        console.log(JSON.stringify({ scenario: scenario.name, skipped: outcome.skipped }));
        context.skip();
        return;
      }
      const alarm =
        scenario.alarm !== null && outcome.alarms.includes(scenario.alarm)
          ? scenario.alarm
          : (outcome.alarms[0] ?? null);
      const { alarms, ...rest } = outcome;
      const result: ChaosResult = { ...rest, alarm, alarms };
      results.push(result);
      const line = JSON.stringify(result);
      console.log(line);
      if (REPORT) appendFileSync(REPORT, `${line}\n`);
      expect(result.safeState, line).toBe(true);
      expect(result.lostMessages, line).toBe(0);
      expect(result.alarm, line).toBe(scenario.alarm);
    }, 180_000);
  }
});
