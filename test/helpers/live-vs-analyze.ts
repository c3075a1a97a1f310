/**
 * The check every live tagger passes: the agent, with `tagger` as the bench's tagger (the replay
 * bench's correlation: 1 s periods, ±100 ns at 1 ps), publishes for its first period the photon
 * counts and g2(0) that `analyze` prints for the file the tagger streams, to the last digit.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { expect } from "vitest";
import { startAgent } from "../../agent/main.js";
import { loadConfig } from "../../config/load.js";
import { AGENT_CLI, freePort, subscriber } from "./processes.js";

/**
 * The agent on the replay bench (embedded broker on a free port, a fresh state directory) with
 * `tagger` as its tagger, and a subscriber to everything it publishes.
 */
export async function agentWithTagger(benchId: string, tagger: Record<string, unknown>) {
  const port = await freePort();
  const { config } = loadConfig({
    file: "config/examples/replay-bench.yaml",
    overrides: { benchId, "mqtt.embedded": { host: "127.0.0.1", port }, "devices.tagger": tagger },
  });
  const logger = pino({ level: "silent" });
  const agent = await startAgent(config, { logger, stateDir: await mkdtemp(join(tmpdir(), `${benchId}-`)) });
  const sub = await subscriber(`mqtt://127.0.0.1:${port}`, `photon-bench/${benchId}/#`);
  return { agent, sub, root: `photon-bench/${benchId}` };
}

export async function expectLiveMatchesAnalyze(options: {
  benchId: string;
  tagger: Record<string, unknown>;
  /** The file the tagger streams, as `analyze` reads it. */
  file: string;
  /** `analyze`'s channel numbers of detectorA and detectorB. */
  analyzeChannels: [number, number];
  timeoutMs?: number;
}) {
  const { benchId, tagger, file, analyzeChannels } = options;
  const { agent, sub, root } = await agentWithTagger(benchId, tagger);
  try {
    const hbt = await sub.waitFor((m) => m.topic === `${root}/measurement/hbt`, options.timeoutMs ?? 20_000);
    const rates = await sub.waitFor(
      (m) => m.topic === `${root}/measurement/rates` && m.payload.period === hbt.payload.period,
    );
    const analysed = spawnSync(process.execPath, [AGENT_CLI, "analyze", file, "--json"], {
      encoding: "utf8",
    });
    expect(analysed.status).toBe(0);
    const offline = JSON.parse(analysed.stdout) as {
      g2: Record<string, number>;
      photons: Record<string, number>;
    };
    const live = hbt.payload.g2 as Record<string, number>;
    const detectors = rates.payload.detectors as Record<string, { photons: number }>;
    expect(detectors.detectorA!.photons).toBe(offline.photons[analyzeChannels[0]]);
    expect(detectors.detectorB!.photons).toBe(offline.photons[analyzeChannels[1]]);
    for (const key of ["kind", "centreArea", "sidePeaks", "sidePeakMeanArea", "g2Zero", "g2ZeroError"])
      expect(live[key], key).toBe(offline.g2[key]);
    return {
      live,
      offline: offline.g2,
      photons: [detectors.detectorA!.photons, detectors.detectorB!.photons],
    };
  } finally {
    await sub.close();
    await agent.stop("test over");
  }
}
