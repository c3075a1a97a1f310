/**
 * photon-bench run | check-config: the agent itself (loaded by cli.ts only for these commands,
 * whose options commander has read).
 *
 * Exit status: 0 done (SIGTERM/SIGINT is a normal stop), 1 the agent could not run,
 * 2 bad arguments or configuration (one line per problem, with its path and YAML line),
 * 4 stood down: another agent took the bench over (`--takeover`); systemd does not restart it.
 * Logs are pino JSON on stdout; the few lines meant for a person go to stderr.
 */
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { pino } from "pino";
import { ConfigError, type LoadedConfig, loadConfig } from "../config/load.js";
import { systemdNotifier } from "./lifecycle/notify.js";
import { AGENT_VERSION, type RunningAgent, startAgent } from "./main.js";
import { BenchInUseError } from "./mqtt/bench-claim.js";
import { PortInUseError } from "./mqtt/broker.js";
import { StartAborted } from "./service.js";

class UsageError extends Error {}

export interface RunOptions {
  config: string;
  limits?: string;
  stateDir: string;
  broker?: string;
  logLevel?: string;
  simSpeed: string;
  takeover?: boolean;
}

function fail(status: number, lines: string[]): never {
  for (const line of lines) process.stderr.write(`photon-bench: ${line}\n`);
  process.exit(status);
}

/** The state directory exists (made if need be) and takes files, or the agent does not start. */
async function requireWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new UsageError(
      `--state-dir ${dir}: not writable (${(err as NodeJS.ErrnoException).code ?? String(err)}); pass --state-dir DIR`,
    );
  }
}

function load(options: Pick<RunOptions, "config" | "limits" | "broker" | "logLevel">): LoadedConfig {
  return loadConfig({
    file: options.config,
    ...(options.limits !== undefined ? { limitsFile: options.limits } : {}),
    env: process.env,
    overrides: { "mqtt.broker": options.broker, logLevel: options.logLevel },
  });
}

/** Usage and configuration errors end the process with status 2, one line per problem. */
async function guarded(work: () => Promise<void>): Promise<void> {
  await work().catch((err: unknown) => {
    if (err instanceof UsageError) fail(2, [err.message]);
    if (err instanceof ConfigError) fail(2, [`${err.source}: invalid configuration`, ...err.problems]);
    fail(1, [(err as Error).stack ?? String(err)]);
  });
}

export async function checkConfigCommand(options: { config: string; limits?: string }): Promise<void> {
  await guarded(async () => {
    const { config } = load(options);
    process.stdout.write(
      `${options.config}: valid (bench ${config.benchId}, ${Object.keys(config.devices).length} devices)\n`,
    );
  });
}

export async function runAgentCommand(options: RunOptions): Promise<void> {
  await guarded(() => run(options));
}

/** How long the agent waits for the broker before it tells systemd it is ready anyway (offline). */
const READY_BROKER_WAIT_MS = 5000;
/** A crash's safe state gets this long before the process exits regardless. */
const CRASH_EXIT_MS = 15_000;
/** Stood down for another agent (the unit's RestartPreventExitStatus). */
export const EXIT_TAKEN_OVER = 4;

async function run(options: RunOptions): Promise<void> {
  const simSpeed = Number(options.simSpeed);
  if (!Number.isFinite(simSpeed) || simSpeed <= 0 || simSpeed > 1000)
    throw new UsageError(`--sim-speed: expected a number in (0, 1000], got "${options.simSpeed}"`);
  const { config, document, envApplied } = load(options);
  await requireWritable(options.stateDir);

  const logger = pino({
    level: config.logLevel,
    base: { benchId: config.benchId },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  const notifier = systemdNotifier(logger);
  // The signal handlers come before any device is touched: a SIGTERM at any moment of start-up
  // stops what has started — the bench made safe — and exits 0.
  const abort = new AbortController();
  let agent: RunningAgent | undefined;
  let signals = 0;
  let exitStatus = 0;
  const stopNow = (reason: string, status: number) => {
    notifier.stopping(`stopping (${reason}): making the bench safe`);
    exitStatus = Math.max(exitStatus, status);
    if (!agent) {
      abort.abort(reason); // the start-up stops what it has started, then throws StartAborted
      return;
    }
    agent.stop(reason).then(
      () => process.exit(status),
      (err: unknown) => {
        logger.fatal({ err: (err as Error).message }, "stop failed");
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, "second signal while stopping: exiting now");
      process.exit(1);
    }
    stopNow(signal, 0);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // A crash: log it, make the bench safe, exit 1 (systemd restarts the agent).
  let crashed = false;
  const onCrash = (kind: string) => (err: unknown) => {
    logger.fatal({ err: err instanceof Error ? err.stack : String(err) }, `${kind}: stopping`);
    if (crashed) return;
    crashed = true;
    setTimeout(() => process.exit(1), CRASH_EXIT_MS).unref();
    stopNow("crash", 1);
  };
  process.on("uncaughtException", onCrash("uncaught exception"));
  process.on("unhandledRejection", onCrash("unhandled rejection"));

  logger.info({ config: options.config, envApplied, version: AGENT_VERSION }, "photon-bench starting");
  notifier.status("starting: building the devices");
  try {
    agent = await startAgent(config, {
      logger,
      simSpeed,
      stateDir: options.stateDir,
      baseDocument: document,
      signal: abort.signal,
      onInterlockTick: () => notifier.watchdog(),
      onTakenOver: (other) =>
        stopNow(`taken over by host ${other.host ?? "?"} pid ${other.pid ?? "?"}`, EXIT_TAKEN_OVER),
      ...(options.takeover ? { takeover: true } : {}),
    });
  } catch (err) {
    if (err instanceof StartAborted) {
      logger.info({ reason: err.reason }, "stopped during start-up: the bench is in its safe state");
      process.exit(exitStatus);
    }
    if (err instanceof BenchInUseError) fail(1, [err.message]);
    if (err instanceof PortInUseError)
      fail(1, [
        `${err.host}:${err.port} is already in use — most likely an MQTT broker is already running there.`,
        `Use that broker instead of the embedded one:  make run ARGS="--broker mqtt://${err.host}:${err.port}"`,
        `(or: photon-bench run --config ${options.config} --broker mqtt://${err.host}:${err.port})`,
      ]);
    throw err;
  }

  const url = new URL(agent.brokerUrl);
  const port = url.port || 1883;
  process.stderr.write(
    `photon-bench: bench ${config.benchId} publishing to ${agent.brokerUrl}\n` +
      `photon-bench: watch it:  mosquitto_sub -h ${url.hostname} -p ${port} -t '${agent.topics.root}/#' -v\n` +
      webLine(config.web, agent.webUrl) +
      `photon-bench: command it:  photon-bench ctl --broker ${agent.brokerUrl} --bench ${config.benchId} status\n`,
  );
  // Ready for systemd once the bench is safe (interlocks running) and the broker reached, or the wait is over.
  const online = await agent.connected(READY_BROKER_WAIT_MS);
  if (!abort.signal.aborted && signals === 0)
    notifier.ready(
      online
        ? `running: bench ${config.benchId} on ${agent.brokerUrl}`
        : `running offline: ${agent.brokerUrl} not reached yet (messages wait in the outbox)`,
    );
}

/** Where the web view is, or why it is not there although the bench file asks for it. */
function webLine(web: { enabled: boolean; host: string; port: number }, url: string | undefined): string {
  if (url) return `photon-bench: see it:  ${url}  (the live web view)\n`;
  if (!web.enabled) return "";
  return `photon-bench: the web view could not listen on ${web.host}:${web.port} (taken?); another port: PHOTON_BENCH_WEB__PORT=8081 make run\n`;
}
