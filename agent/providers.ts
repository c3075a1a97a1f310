/**
 * The one place that loads the bus back ends (`backend: sim | hardware`), lazily, so the simulated
 * bench never loads the native hardware libraries and a hardware bench never loads the simulator.
 */

import type { Backend } from "../config/common.js";
import type { BenchConfig } from "../config/schema.js";
import type { SimFaultEvent } from "../config/sim.js";
import type { BusProvider } from "../hal/interfaces.js";
import type { AgentOptions } from "./main.js";

/** The simulated bench's fault injection (game days). */
export type SimFaults = { inject(fault: Omit<SimFaultEvent, "atS">): void };

/** The bus back end of one kind: the caller's, or loaded here on first use. */
export async function openProvider(
  kind: Backend,
  config: BenchConfig,
  options: AgentOptions,
  onSim: (bench: SimFaults) => void,
): Promise<BusProvider> {
  const given = options.providers?.[kind];
  if (given) return given;
  const { logger } = options;
  if (kind === "sim") {
    const { createSimulatedBench } = await import("../sim/provider.js");
    const sim = createSimulatedBench(config, logger, options.simSpeed ?? 1);
    sim.clock.start();
    onSim(sim.bench);
    logger.info({ seed: config.sim.seed, speed: options.simSpeed ?? 1 }, "simulated bench running");
    return sim.provider;
  }
  const { createHardwareProvider } = await import("../hal/backends/hardware-provider.js");
  return createHardwareProvider(config.gpio, logger);
}
