/**
 * The agent on the simulated bench in this process, for the benchmarks that load it: the aligner
 * off, no rate limit on requests, a live correlator at ±500 ns in 1 ns bins, and the simulated
 * tagger unplugged, so the only tags are those `feedTags` replays (2 × 5 Mcps in real time,
 * through the agent's own bus, as a tagger would bring them).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { startAgent } from "../../agent/main.js";
import { loadConfig } from "../../config/load.js";
import { createSimulatedBench } from "../../sim/provider.js";
import { twoStreamReplay } from "./tag-replay.js";

export async function startLoadedAgent(name: string, options: { interlockGuard?: boolean } = {}) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const { config } = loadConfig({
    file: "config/examples/sim-bench.yaml",
    overrides: {
      "mqtt.embedded": { host: "127.0.0.1", port },
      "alignment.enabled": false,
      "control.rateLimit": { perVerbPerS: 10_000, burst: 10_000 },
      correlation: {
        integrationS: 1,
        histograms: [
          { name: "hbt", a: "detectorA", b: "detectorB", windowNs: 500, binPs: 1000, periodPs: "cw" },
        ],
      },
    },
  });
  const logger = pino({ level: "silent" });
  const sim = createSimulatedBench(config, logger);
  sim.bench.inject({ fault: "device-unplugged", device: "tagger" });
  sim.clock.start();
  const agent = await startAgent(config, {
    logger,
    providers: { sim: sim.provider },
    stateDir: mkdtempSync(join(tmpdir(), `photon-bench-${name}-bench-`)),
    correlationWorker: pathToFileURL("dist/agent/correlation/correlation-worker.js"),
    ...options,
  });
  return { agent, sim, config };
}

/** Feeds 2 × 5 Mcps into the agent's bus in 10 ms slices of wall time; returns the stop and the tags offered. */
export function feedTags(agent: Awaited<ReturnType<typeof startLoadedAgent>>["agent"]) {
  const next = twoStreamReplay(5e6)();
  const startedAt = performance.now();
  let offered = 0;
  const timer = setInterval(() => {
    const due = Math.floor((performance.now() - startedAt) / 10) * 100_000;
    if (due > offered) next(due - offered, (chunk) => agent.bus.emit("tags", { source: "tagger", chunk }));
    offered = Math.max(offered, due);
  }, 10);
  return {
    stop: () => clearInterval(timer),
    offeredTagsPerS: () => Math.round(offered / ((performance.now() - startedAt) / 1000)),
  };
}
