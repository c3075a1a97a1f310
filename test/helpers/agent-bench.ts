/** The agent and the simulated bench in one process, with a subscriber to everything the bench publishes. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach } from "vitest";
import { startAgent } from "../../agent/main.js";
import { createSimulatedBench } from "../../sim/provider.js";
import { simConfig } from "./bench-config.js";
import { freePort, subscriber } from "./processes.js";

export const INTERLOCK_TICK_MS = 50;

export async function runBench(
  benchId: string,
  overrides: Record<string, unknown> = {},
  options: { stateDir?: string } = {},
) {
  const port = await freePort();
  const config = simConfig({
    benchId,
    "mqtt.embedded": { host: "127.0.0.1", port },
    "loops.telemetry": { periodMs: 200, retryInitialMs: 100, retryMaxMs: 400 },
    "loops.interlocks": { periodMs: INTERLOCK_TICK_MS },
    ...overrides,
  });
  const logger = pino({ level: "silent" });
  const sim = createSimulatedBench(config, logger);
  sim.clock.start();
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), `photon-bench-${benchId}-`)));
  const agent = await startAgent(config, {
    logger,
    providers: { sim: sim.provider },
    simBench: sim.bench,
    stateDir,
  });
  const sub = await subscriber(`mqtt://127.0.0.1:${port}`, `photon-bench/${benchId}/#`);
  return { sim, agent, sub, stateDir, logger, root: `photon-bench/${benchId}` };
}

/**
 * For a describe block whose tests each run one bench: returns `runBench`, and stops that bench
 * (subscriber closed, agent stopped) after each test.
 */
export function benchPerTest(): typeof runBench {
  let running: Awaited<ReturnType<typeof runBench>> | undefined;
  afterEach(async () => {
    await running?.sub.close();
    await running?.agent.stop("test over");
    running = undefined;
  });
  return async (...args) => {
    running = await runBench(...args);
    return running;
  };
}
