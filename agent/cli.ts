#!/usr/bin/env node
/**
 * photon-bench command line: a small dispatcher that loads only the subcommand it runs — `analyze`
 * never loads the agent (MQTT, the broker, the HAL, the config schemas), which would cost it a
 * third of a second at every start.
 *
 *   photon-bench run [--config FILE] [--broker URL] [--log-level LEVEL] [--sim-speed X]
 *   photon-bench check-config [--config FILE]
 *   photon-bench analyze FILE [options]          (photon-bench analyze --help)
 *   photon-bench --version | --help
 *
 * Exit status: 0 done (SIGTERM/SIGINT is a normal stop), 1 the agent could not run,
 * 2 bad arguments or configuration (one line per problem, with its path), 3 (analyze) a
 * time-tag file that is unreadable or contradicts itself.
 */
import { USAGE } from "./usage.js";
import { AGENT_VERSION } from "./version.js";

const argv = process.argv.slice(2);
const command = argv[0];
if (command === "analyze") {
  const { analyzeCommand } = await import("./analyze-cli.js");
  process.exitCode = await analyzeCommand(argv.slice(1));
} else if (command === "--version" || command === "-v") {
  process.stdout.write(`${AGENT_VERSION}\n`);
} else if (command === "--help" || command === "-h") {
  process.stdout.write(`${USAGE}\n`);
} else {
  const { runCommand } = await import("./run-cli.js");
  await runCommand(argv);
}
