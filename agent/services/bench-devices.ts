/**
 * The bench's devices as a service: at start it opens the bus back ends the bench file names and
 * builds every driver (agent/devices.ts); at stop it drives the bench to its safe state — lasers
 * off, detector bias off, stages holding — and closes the buses. Other services are given its
 * `devices` at construction and read them at their own start, which comes after this one.
 */
import type { Backend } from "../../config/common.js";
import type { InterlockRule } from "../../config/schema.js";
import type { BusProvider } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { type BenchDevices, buildDevices, type DeviceSlice, emptyBenchDevices } from "../devices.js";
import { type Service, withinLimit } from "../service.js";
import { lasersToHold } from "./permit-lines.js";

export interface BenchDevicesDeps {
  slice: DeviceSlice & { backend: Backend };
  /** The interlock rules: a laser one of them holds opens with its permit line low. */
  interlockRules: readonly InterlockRule[];
  /** Rules latched before a restart (they hold their lasers from the first moment). */
  latchedRules?: () => Promise<ReadonlySet<string>>;
  /** Opens (or hands over) the bus back end of one kind. */
  openProvider: (kind: Backend) => Promise<BusProvider>;
  logger: Logger;
}

export class BenchDevicesService implements Service {
  readonly name = "devices";
  readonly devices: BenchDevices = emptyBenchDevices();
  private readonly providers = new Map<Backend, BusProvider>();

  constructor(private readonly deps: BenchDevicesDeps) {}

  /** The bus back ends in use ("sim", "hardware", "sim+hardware"). */
  get backend(): string {
    return [...this.providers.keys()].join("+");
  }

  async start(): Promise<void> {
    const { slice, logger } = this.deps;
    const backendOf = (device: string) => slice.devices[device]?.backend ?? slice.backend;
    for (const kind of new Set(Object.keys(slice.devices).map(backendOf)))
      this.providers.set(kind, await this.deps.openProvider(kind));
    await buildDevices(
      slice,
      {
        providerFor: (device) => this.providers.get(backendOf(device))!,
        lasersToHold: async (inputs) => {
          const tripped = new Set<string>();
          for (const [name, input] of inputs)
            if (await input.readTripped().catch(() => true)) tripped.add(name);
          const latched = (await this.deps.latchedRules?.()) ?? new Set<string>();
          return lasersToHold(this.deps.interlockRules, tripped, latched);
        },
        logger,
      },
      this.devices,
    );
  }

  /** The safe state, each device within the step limit, all at once; then the buses close. */
  async stop(): Promise<void> {
    const { lasers, detectors, actuators } = this.devices;
    const { logger } = this.deps;
    await Promise.all([
      ...[...lasers].map(([name, l]) => withinLimit(`${name} safe`, () => l.makeSafe(), logger)),
      ...[...detectors].map(([name, d]) => withinLimit(`${name} safe`, () => d.makeSafe(), logger)),
    ]);
    for (const actuator of actuators.values()) actuator.hold();
    logger.info(
      { lasers: [...lasers.keys()], detectors: [...detectors.keys()], stages: [...actuators.keys()] },
      "bench safe: lasers off, detector bias off, stages holding",
    );
    for (const [kind, provider] of this.providers)
      await withinLimit(`${kind} buses`, () => provider.close(), logger);
  }
}
