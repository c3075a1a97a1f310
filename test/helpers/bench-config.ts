/** The example simulated bench file, parsed, with overrides for a test. */
import { loadConfig } from "../../config/load.js";
import type { BenchConfig } from "../../config/schema.js";

export const SIM_EXAMPLE = "config/examples/sim-bench.yaml";

export function simConfig(overrides: Record<string, unknown> = {}): BenchConfig {
  return loadConfig({ file: SIM_EXAMPLE, overrides }).config;
}
