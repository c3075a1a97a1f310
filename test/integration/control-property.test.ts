/**
 * A property test of the control plane (fast-check): 10,000 requests that are wrong by
 * construction — garbage bytes, JSON that is not an object, unknown verbs, unknown keys, values
 * of the wrong type or beyond a safety limit, config pushes that break the schema or loosen a
 * limit — sent through the same path as MQTT requests to the agent on the simulated bench.
 * Each must be refused; none may change what the simulated instruments were commanded; the
 * stored configuration must be byte-identical at the end; the agent must still be publishing.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verbNames } from "../../agent/control/verbs.js";
import { runBench } from "../helpers/agent-bench.js";

type Running = Awaited<ReturnType<typeof runBench>>;

/** What the instruments were told to do (not what drifts on its own, like temperatures). */
function commanded(running: Running) {
  const b = running.sim.bench;
  return JSON.stringify({
    emission: b.laser.emission,
    powerSetMw: b.laser.powerSetMw,
    permit: b.laser.permit,
    setpointK: b.cryostat.setpointK,
    heaterRange: b.cryostat.heaterRange,
    detectors: [...b.detectors.values()].map((d) => [d.enabled, d.biasUa]),
    stage: Object.values(b.stage).map((axis) => axis.commandedUm),
  });
}

async function stateFiles(dir: string): Promise<string> {
  const config = join(dir, "config");
  const names = (await readdir(config).catch(() => [] as string[])).sort();
  const files = await Promise.all(names.map(async (n) => `${n}\n${await readFile(join(config, n), "utf8")}`));
  return files.join("\n---\n");
}

const notAVerb = fc
  .string({ minLength: 1, maxLength: 30 })
  .filter((v) => !(verbNames as string[]).includes(v));
const anyVerb = fc.constantFrom(...verbNames);
const wrongType = fc.oneof(fc.string(), fc.constant(null), fc.array(fc.integer()), fc.object(), fc.boolean());
const notNumber = fc.oneof(fc.string(), fc.constant(null), fc.boolean(), fc.object());
/** In a merge patch null deletes the key (back to its default), which is a valid change. */
const notNumberInPatch = fc.oneof(fc.string(), fc.boolean(), fc.object());

/** [verb, arguments] pairs that no correct agent may accept. */
const wrongArguments: fc.Arbitrary<[string, Record<string, unknown>]> = fc.oneof(
  // An unknown key beside whatever else: every verb's schema is strict.
  fc.tuple(
    anyVerb,
    fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).map((k) => `x_${k}`),
      fc.jsonValue(),
      { minKeys: 1, maxKeys: 4 },
    ),
  ),
  fc.tuple(fc.constant("laser/emission"), fc.record({ on: wrongType.filter((v) => typeof v !== "boolean") })),
  fc.tuple(fc.constant("laser/emission"), fc.constant({})),
  fc.tuple(
    fc.constant("laser/power"),
    fc.record({ powerMw: fc.double({ min: 10.000001, max: 1e9, noNaN: true }) }),
  ),
  fc.tuple(fc.constant("laser/power"), fc.record({ powerMw: fc.double({ max: -1e-9, noNaN: true }) })),
  fc.tuple(fc.constant("laser/power"), fc.record({ powerMw: notNumber })),
  fc.tuple(
    fc.constant("laser/power"),
    fc.record({ powerMw: fc.double({ min: 0, max: 10 }), device: fc.constantFrom("laser2", "") }),
  ),
  fc.tuple(
    fc.constant("cryostat/setpoint"),
    fc.record({
      tempK: fc.oneof(
        fc.double({ min: 300.0001, max: 1e6, noNaN: true }),
        fc.double({ max: 1.4999, noNaN: true }),
      ),
    }),
  ),
  fc.tuple(
    fc.constant("cryostat/heater-range"),
    fc.record({ range: fc.string().filter((r) => !["off", "low", "medium", "high"].includes(r)) }),
  ),
  fc.tuple(
    fc.constant("detector/bias"),
    fc.record({
      device: fc.constant("detectorA"),
      on: fc.constant(true),
      biasUa: fc.double({ min: 11.000001, max: 1e6, noNaN: true }),
    }),
  ),
  fc.tuple(
    fc.constant("detector/bias"),
    fc.record({
      device: fc.string().filter((d) => !["detectorA", "detectorB"].includes(d)),
      on: fc.boolean(),
    }),
  ),
  fc.tuple(
    fc.constant("stage/move"),
    fc.record({
      axis: fc.constantFrom("x", "y"),
      positionUm: fc.oneof(
        fc.double({ min: 95.0001, max: 1e6, noNaN: true }),
        fc.double({ max: 4.9999, noNaN: true }),
      ),
    }),
  ),
  fc.tuple(
    fc.constant("stage/move"),
    fc.record({
      axis: fc.string().filter((a) => !["x", "y", "z"].includes(a)),
      positionUm: fc.double({ min: 10, max: 90 }),
    }),
  ),
  fc.tuple(
    fc.constant("stage/jog"),
    fc.record({ axis: fc.constant("x"), deltaUm: fc.double({ min: 100.0001, max: 1e9, noNaN: true }) }),
  ),
  fc.tuple(
    fc.constant("interlock/reset"),
    fc.record({
      rules: fc.array(
        fc.string().map((r) => `no-${r}`),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  ),
  fc.tuple(
    fc.constant("alarm/ack"),
    fc.record({ name: fc.string({ minLength: 1 }).map((n) => `none-${n}`) }),
  ),
  fc.tuple(
    fc.constant("config/rollback"),
    fc.record({ version: fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.integer({ max: -1 }), notNumber) }),
  ),
  // Config pushes that break the schema, loosen a local limit, or are not one change.
  fc.tuple(fc.constantFrom("config/set", "config/validate"), fc.constant({})),
  fc.tuple(
    fc.constant("config/set"),
    fc.record({
      patch: fc.record({
        loops: fc.record({
          telemetry: fc.record({
            periodMs: fc.oneof(fc.integer({ max: 49 }), fc.integer({ min: 3_600_001 }), notNumberInPatch),
          }),
        }),
      }),
    }),
  ),
  fc.tuple(
    fc.constant("config/set"),
    fc.record({
      patch: fc.record({
        safety: fc.record({ laserMaxPowerMw: fc.double({ min: 10.0001, max: 1e9, noNaN: true }) }),
      }),
    }),
  ),
  fc.tuple(
    fc.constant("config/set"),
    fc.record({
      patch: fc.record({
        safety: fc.record({ detectorMaxBiasUa: fc.double({ min: 11.0001, max: 1e9, noNaN: true }) }),
      }),
    }),
  ),
  fc.tuple(fc.constant("config/set"), fc.record({ patch: fc.record({ interlocks: fc.constant([]) }) })),
  fc.tuple(
    fc.constant("config/set"),
    fc.record({
      patch: fc.record({
        loops: fc.record({ interlocks: fc.record({ periodMs: fc.integer({ min: 51, max: 1000 }) }) }),
      }),
    }),
  ),
  fc.tuple(
    fc.constant("config/set"),
    fc.record({
      patch: fc.dictionary(
        fc.string({ minLength: 1, maxLength: 8 }).map((k) => `unknown_${k}`),
        // A null in a patch deletes a key: an unknown key set to null is no change at all.
        fc.jsonValue().filter((v) => v !== null),
        { minKeys: 1, maxKeys: 3 },
      ),
    }),
  ),
  fc.tuple(
    fc.constant("config/set"),
    fc.record({
      document: fc.dictionary(
        fc.string({ maxLength: 8 }).filter((k) => k !== "benchId"),
        fc.jsonValue(),
        { maxKeys: 3 },
      ),
    }),
  ),
  fc.tuple(
    fc.constant("config/set"),
    fc.record({
      patch: fc.record({
        devices: fc.record({ laser: fc.record({ type: fc.string().filter((t) => t !== "obis-laser") }) }),
      }),
    }),
  ),
  fc.tuple(fc.constant("config/set"), fc.record({ document: fc.object(), patch: fc.object() })),
);

/** Raw payloads that are not a request at all. */
const malformed: fc.Arbitrary<[string, Buffer]> = fc.oneof(
  fc.tuple(
    anyVerb,
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  ),
  fc.tuple(
    anyVerb,
    fc
      .jsonValue()
      .filter((v) => typeof v !== "object" || v === null || Array.isArray(v))
      .map((v) => Buffer.from(JSON.stringify(v))),
  ),
  fc.tuple(
    anyVerb,
    fc
      .record({ transaction: wrongType.filter((t) => typeof t !== "string") })
      .map((r) => Buffer.from(JSON.stringify(r))),
  ),
  fc.tuple(anyVerb, fc.constant(Buffer.from(`{"transaction":"big","x":"${"y".repeat(70_000)}"}`))),
);

let sent = 0;
const request = (verb: string, args: Record<string, unknown>) => ({
  verb,
  payload: Buffer.from(JSON.stringify({ ...args, transaction: `prop-${++sent}` })),
});

describe("the control plane refuses every wrong request (fast-check)", () => {
  let running: Running;
  beforeAll(async () => {
    running = await runBench("control-property", {
      "alignment.enabled": false,
      "control.rateLimit": { perVerbPerS: 10_000, burst: 10_000 },
    });
    await running.sub.waitFor((m) => m.topic.endsWith("/telemetry/laser"), 10_000);
  });
  afterAll(async () => {
    await running?.sub.close();
    await running?.agent.stop("test over");
  });

  it("10,000 requests: none accepted, nothing commanded, the stored config byte-identical, still publishing", async () => {
    const filesBefore = await stateFiles(running.stateDir);
    const arbitrary = fc.oneof(
      { weight: 6, arbitrary: wrongArguments.map(([verb, args]) => request(verb, args)) },
      { weight: 2, arbitrary: fc.tuple(notAVerb, fc.object()).map(([verb, args]) => request(verb, args)) },
      { weight: 2, arbitrary: malformed.map(([verb, payload]) => ({ verb, payload })) },
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ verb, payload }) => {
        // Requests arrive one message at a time: let the timers run between them, as MQTT does
        // (a loop of microtasks alone would starve the sampler until the cryostat reads stale).
        await new Promise((resolve) => setImmediate(resolve));
        const before = commanded(running);
        const answer = await running.agent.control.request(verb, payload, "property");
        expect(answer.status, `${verb} ${payload.toString().slice(0, 200)}`).toBe("error");
        expect(commanded(running)).toBe(before);
      }),
      { numRuns: 10_000, seed: 20261201 },
    );
    expect(await stateFiles(running.stateDir)).toBe(filesBefore);
    // Still serving: a good request is answered, and telemetry keeps coming.
    const from = running.sub.messages.length;
    expect(
      (await running.agent.control.request("agent/ping", Buffer.from('{"transaction":"alive"}'), "t")).status,
    ).toBe("ok");
    await running.sub.waitFor((m) => m.topic.endsWith("/telemetry/laser"), 5000, from);
  }, 120_000);
});
