/**
 * The contract every part of the running agent keeps, and the one loop that starts them in order
 * and stops them in reverse. Dependencies come into a service's constructor as one object; what
 * it learns goes out on the event bus (./events.ts).
 */
import type { BenchConfig } from "../config/schema.js";
import type { TelemetryValues } from "../hal/interfaces.js";
import type { Logger } from "../hal/logger.js";

/**
 * A configuration change a service has checked and can apply: `commit` applies it (and must not
 * fail), `abort` forgets it. `paths` are the dotted config paths it takes live; a changed path
 * no service takes needs a restart.
 */
export interface PreparedChange {
  paths: string[];
  commit(): void;
  abort(): void;
}

export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * A config push: check `next` against what this service runs and return the change it would
   * apply, or throw an Error saying why it cannot (the whole push is then refused). Services
   * without it take nothing live.
   */
  prepare?(next: BenchConfig): PreparedChange | undefined;
  /** Counters for the agent's own telemetry (`telemetry/agent`). */
  health?(): TelemetryValues;
  /** How long `stop` may take before the next service is stopped anyway (default 2 s). */
  readonly stopTimeoutMs?: number;
}

/** Per-step limit at shutdown, so one dead instrument cannot hold up the rest of the safe state. */
export const DEFAULT_STOP_TIMEOUT_MS = 2000;

/** A start ended early by a signal (SIGTERM during start-up): the started services were stopped. */
export class StartAborted extends Error {
  constructor(readonly reason: string) {
    super(`start-up ended by ${reason}: the services started so far were stopped`);
    this.name = "StartAborted";
  }
}

/**
 * Starts services in order. If one fails, or `signal` aborts (checked after each start), the
 * started ones are stopped in reverse — the devices' stop is the safe state — and it throws.
 */
export async function startInOrder(
  services: readonly Service[],
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const started: Service[] = [];
  for (const service of services) {
    try {
      if (signal?.aborted) throw new StartAborted(String(signal.reason));
      await service.start();
      started.push(service);
      logger.debug({ service: service.name }, "service started");
      if (signal?.aborted) throw new StartAborted(String(signal.reason));
    } catch (err) {
      if (!(err instanceof StartAborted))
        logger.error(
          { service: service.name, err: (err as Error).message },
          `${service.name} could not start`,
        );
      else
        logger.warn({ reason: err.reason }, "stopping during start-up: driving the bench to its safe state");
      await stopInReverse(started, logger);
      throw err;
    }
  }
}

/** Stops services in reverse order, each within its time limit; a failure is logged and the rest go on. */
export async function stopInReverse(services: readonly Service[], logger: Logger): Promise<void> {
  for (const service of [...services].reverse())
    await withinLimit(service.name, () => service.stop(), logger, service.stopTimeoutMs);
}

/** Runs one shutdown step; after `limitMs` (or on failure) it logs and lets the shutdown go on. */
export async function withinLimit(
  step: string,
  work: () => Promise<void>,
  logger: Logger,
  limitMs = DEFAULT_STOP_TIMEOUT_MS,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.error({ step }, `shutdown: ${step} did not finish within ${limitMs} ms`);
      resolve();
    }, limitMs);
  });
  await Promise.race([work(), timeout]).catch((err: unknown) =>
    logger.error({ step, err: (err as Error).message }, `shutdown: ${step} failed`),
  );
  clearTimeout(timer);
}
