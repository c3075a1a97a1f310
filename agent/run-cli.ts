/**
 * photon-bench run | check-config: the agent itself (loaded by cli.ts only for these commands).
 *
 *   photon-bench run [--config FILE] [--limits FILE] [--state-dir DIR] [--broker URL] [--log-level LEVEL] [--sim-speed X]
 *   photon-bench check-config [--config FILE]
 *
 * Exit status: 0 done (SIGTERM/SIGINT is a normal stop), 1 the agent could not run,
 * 2 bad arguments or configuration (one line per problem, with its path).
 * Logs are pino JSON on stdout; the few lines meant for a person go to stderr.
 */
import { constants, existsSync } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig } from "../config/load.js";
import { logLevels } from "../config/schema.js";
import { AGENT_VERSION, startAgent } from "./main.js";
import { PortInUseError } from "./mqtt/broker.js";

import { USAGE } from "./usage.js";

class UsageError extends Error {}

/** Accepted configuration versions and the audit log: systemd's StateDirectory= when it sets one. */
const DEFAULT_STATE_DIR = process.env.STATE_DIRECTORY?.split(":")[0] || "/var/lib/photon-bench";

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

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: "string", short: "c" },
        broker: { type: "string" },
        "log-level": { type: "string" },
        "sim-speed": { type: "string" },
        "state-dir": { type: "string" },
        limits: { type: "string" },
        version: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (values.version) return void process.stdout.write(`${AGENT_VERSION}\n`);
  const command = positionals[0];
  if (command !== "run" && command !== "check-config")
    throw new UsageError(command ? `unknown command "${command}"` : "no command");
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const logLevel = values["log-level"];
  if (logLevel !== undefined && !(logLevels as readonly string[]).includes(logLevel))
    throw new UsageError(`--log-level: expected one of ${logLevels.join(", ")}, got "${logLevel}"`);
  const simSpeed = values["sim-speed"] === undefined ? 1 : Number(values["sim-speed"]);
  if (!Number.isFinite(simSpeed) || simSpeed <= 0 || simSpeed > 1000)
    throw new UsageError(`--sim-speed: expected a number in (0, 1000], got "${values["sim-speed"]}"`);
  const file = values.config ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  if (file === undefined)
    throw new UsageError(`no configuration: pass --config FILE or create ${DEFAULT_CONFIG_PATH}`);

  const { config, document, envApplied } = loadConfig({
    file,
    ...(values.limits !== undefined ? { limitsFile: values.limits } : {}),
    env: process.env,
    overrides: { "mqtt.broker": values.broker, logLevel },
  });
  const stateDir = values["state-dir"] ?? DEFAULT_STATE_DIR;
  if (command === "run") await requireWritable(stateDir);
  if (command === "check-config") {
    process.stdout.write(
      `${file}: valid (bench ${config.benchId}, ${Object.keys(config.devices).length} devices)\n`,
    );
    return;
  }

  const logger = pino({
    level: config.logLevel,
    base: { benchId: config.benchId },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  logger.info({ config: file, envApplied, version: AGENT_VERSION }, "photon-bench starting");
  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent(config, { logger, simSpeed, stateDir, baseDocument: document });
  } catch (err) {
    if (err instanceof PortInUseError)
      fail(1, [
        `${err.host}:${err.port} is already in use — most likely an MQTT broker is already running there.`,
        `Use that broker instead of the embedded one:  make run ARGS="--broker mqtt://${err.host}:${err.port}"`,
        `(or: photon-bench run --config ${file} --broker mqtt://${err.host}:${err.port})`,
      ]);
    throw err;
  }

  const url = new URL(agent.brokerUrl);
  process.stderr.write(
    `photon-bench: bench ${config.benchId} publishing to ${agent.brokerUrl}\n` +
      `photon-bench: watch it:  mosquitto_sub -h ${url.hostname} -p ${url.port || 1883} -t '${agent.topics.root}/#' -v\n`,
  );

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, "second signal while stopping: exiting now");
      process.exit(1);
    }
    agent.stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.fatal({ err: (err as Error).message }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("unhandledRejection", (err) => {
    logger.fatal({ err: err instanceof Error ? err.stack : String(err) }, "unhandled rejection; stopping");
    agent.stop("crash").finally(() => process.exit(1));
  });
}

/** Runs `run` or `check-config` (argv from the command on); a running agent keeps the process alive. */
export async function runCommand(argv: string[]): Promise<void> {
  await main(argv).catch((err: unknown) => {
    if (err instanceof UsageError) fail(2, [err.message, ...USAGE.split("\n")]);
    if (err instanceof ConfigError) fail(2, [`${err.source}: invalid configuration`, ...err.problems]);
    fail(1, [(err as Error).stack ?? String(err)]);
  });
}
