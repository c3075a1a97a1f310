/** The example simulated bench file, parsed, with overrides for a test. */
import { loadConfig } from "../../config/load.js";
import type { BenchConfig } from "../../config/schema.js";

export const SIM_EXAMPLE = "config/examples/sim-bench.yaml";

/** The devices of the example bench (written out: a test notices one that goes missing). */
export const SIM_DEVICES = [
  "cryostat",
  "compressor",
  "laser",
  "powerMonitor",
  "stage",
  "detectorA",
  "detectorB",
  "door",
  "cryostatOk",
  "tagger",
] as const;

/**
 * The example bench with `overrides`. Its runbook triggers are off unless a test sets
 * `operations.runbooks`: automation acting on a fault would change what other tests watch. Its
 * web view listens on any free port (tests run side by side).
 */
export function simConfig(overrides: Record<string, unknown> = {}): BenchConfig {
  return loadConfig({
    file: SIM_EXAMPLE,
    overrides: { "operations.runbooks": { triggers: [] }, "web.port": 0, ...overrides },
  }).config;
}
