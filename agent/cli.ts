#!/usr/bin/env node
/**
 * photon-bench command line (commander): every subcommand with its options, descriptions and
 * defaults in `--help`; each loads only the module it runs — `analyze` never loads the agent
 * (MQTT, the broker, the HAL, the config schemas), which would cost it a third of a second.
 *
 * Exit status: 0 done (SIGTERM/SIGINT is a normal stop), 1 the agent could not run, 2 bad
 * arguments or configuration (one line per problem, with its path), 3 (analyze) a time-tag file
 * that is unreadable or contradicts itself, 4 (ctl) refused by the agent, 5 (ctl) no answer.
 */
import { Command, CommanderError, Option } from "commander";
import { AGENT_VERSION } from "./version.js";

const program = new Command("photon-bench")
  .description("The bench agent for single-photon-source optical benches, and its tools.")
  .version(AGENT_VERSION, "-v, --version")
  .exitOverride()
  .showHelpAfterError("(photon-bench --help lists the commands; COMMAND --help its options)")
  .configureOutput({ outputError: (text, write) => write(`photon-bench: ${text.replace(/^error: /, "")}`) });

const STATE_DIR = process.env.STATE_DIRECTORY?.split(":")[0] || "/var/lib/photon-bench";
const configOption = () =>
  new Option("-c, --config <file>", "the bench file (YAML)").default("/etc/photon-bench/bench.yaml");
const limitsOption = () =>
  new Option(
    "--limits <file>",
    "local safety limits (safety, interlocks, loops.interlocks) over the bench file's",
  );

program
  .command("run")
  .description("run the agent: the bench's devices, interlocks, telemetry, measurements, MQTT, commands")
  .addOption(configOption())
  .addOption(limitsOption())
  .addOption(
    new Option(
      "--state-dir <dir>",
      "accepted config versions and the audit log ($STATE_DIRECTORY under systemd)",
    ).default(STATE_DIR),
  )
  .option("--broker <url>", "an MQTT broker (mqtt:// or mqtts://) instead of the file's")
  .addOption(
    new Option("--log-level <level>", "log level").choices([
      "fatal",
      "error",
      "warn",
      "info",
      "debug",
      "trace",
    ]),
  )
  .addOption(
    new Option("--sim-speed <x>", "simulated seconds per second on the simulated bench").default("1"),
  )
  .option("--takeover", "start even if another agent's status says it runs this bench (a stale status)")
  .action(async (opts) => (await import("./run-cli.js")).runAgentCommand(opts));

program
  .command("check-config")
  .description("check a bench file: every problem with its path and YAML line; nothing runs")
  .addOption(configOption())
  .addOption(limitsOption())
  .action(async (opts) => (await import("./run-cli.js")).checkConfigCommand(opts));

program
  .command("self-check")
  .description(
    "can this installation run the bench? config, state directory, devices' buses, broker (and the agent's status)",
  )
  .addOption(configOption())
  .addOption(new Option("--state-dir <dir>", "the agent's state directory").default(STATE_DIR))
  .option("--broker <url>", "an MQTT broker instead of the file's")
  .option("--expect-version <v>", "also require the agent's retained status: online with this version")
  .option("--wait-s <s>", "how long to wait for the broker and the agent's status", "30")
  .option("--json", "one JSON object instead of one line per check")
  .action(async (opts) => (await import("./self-check.js")).selfCheckCommand(opts));

program
  .command("schema")
  .description("print the bench file's JSON Schema (for editors: yaml-language-server)")
  .option("--payloads <dir>", "instead, write the JSON Schema of every MQTT payload to <dir>/v<version>/")
  .action(async (opts: { payloads?: string }) => (await import("./tools-cli.js")).schemaCommand(opts));

program
  .command("analyze")
  .description("analyse a time-tag file (PTU T2/T3, .pt2/.pt3, .qutag): rates, g2(τ), g2(0), lifetime")
  .argument("<file>", "the time-tag file")
  .option("--channels <a,b>", "the two channels to correlate (default: the two busiest)")
  .option("--window-ns <n>", "correlation window ± ns", "100")
  .option("--bin-ps <n>", "bin width, ps (default: 1/10 of the dip's FWHM for CW, the resolution for pulsed)")
  .option("--period-ps <n|auto|cw>", "pulse period, ps; auto finds it; cw for a CW source", "auto")
  .option("--zero-delay-ps <n>", "the zero delay, ps (default: found from the data)")
  .option("--dead-time-ns <n>", "detector dead time for the rate correction, ns")
  .option("--background-cps <a,b>", "background count rates to subtract, cps")
  .option(
    "--setup-efficiency <x>",
    "collection-to-detector efficiency 0–1, for the brightness at the first lens",
  )
  .option("--log-bins <n>", "also a histogram with N log bins per decade")
  .option("--threads <n>", "pairing threads (default: every core)")
  .option("--json", "print JSON instead of text")
  .option("--csv <file>", "write the histogram as CSV")
  .option("--force", "analyse a file that contradicts its header anyway")
  .action(async (file: string, opts) => {
    process.exitCode = await (await import("./analyze-cli.js")).analyzeCommand(file, opts);
  });

const ctl = program
  .command("ctl")
  .description("talk to a running agent over MQTT: status, watch, configuration, commands")
  .option("--broker <url>", "the broker the agent uses", "mqtt://127.0.0.1:1883")
  .option("--bench <id>", "the bench id (default: the only bench the broker has a status for)")
  .option("--base-topic <topic>", "the agents' base topic", "photon-bench")
  .option("--username <name>", "broker user name")
  .option("--password-file <file>", "a file holding the broker password (or $PHOTON_BENCH_PASSWORD)")
  .option("--ca <file>", "CA certificate(s) to verify the broker's TLS certificate (mqtts://)")
  .option("--cert <file>", "client certificate for mutual TLS")
  .option("--key <file>", "client key for mutual TLS")
  .option("--insecure", "do not verify the broker's TLS certificate")
  .option("--timeout-s <s>", "how long to wait for an answer", "5");
const ctlAction =
  (name: string) =>
  async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const { ctlCommand } = await import("./ctl/ctl-cli.js");
    process.exitCode = await ctlCommand(name, args.slice(0, -2) as string[], {
      ...ctl.opts(),
      ...command.opts(),
    });
  };
ctl
  .command("status")
  .description("online or not, version, last update, config version, the run, active alarms, open incidents")
  .action(ctlAction("status"));
ctl
  .command("watch")
  .description("a live table of telemetry, measurements and alarms (Ctrl-C ends)")
  .action(ctlAction("watch"));
const config = ctl.command("config").description("the agent's configuration");
config
  .command("get")
  .description("print the configuration in force (secrets redacted)")
  .action(ctlAction("config get"));
config
  .command("push")
  .description("push a bench file: shows the changes and any problem first, then asks")
  .argument("<file>", "a whole bench file (YAML or JSON)")
  .option("--patch", "the file is a JSON merge patch over the running configuration")
  .option("-y, --yes", "do not ask")
  .action(ctlAction("config push"));
config.command("history").description("the stored versions").action(ctlAction("config history"));
config
  .command("rollback")
  .description("make an earlier version the configuration in force (as a new version)")
  .argument("<version>", "the version number (0: the local file)")
  .action(ctlAction("config rollback"));
ctl
  .command("cmd")
  .description("send one request, e.g. ctl cmd laser/emission '{\"on\":true}'")
  .argument("<verb>", "e.g. interlock/reset, laser/power, config/get")
  .argument("[json]", "the verb's arguments as a JSON object", "{}")
  .action(ctlAction("cmd"));

program
  .command("ports")
  .description("list the serial ports (by id, with the /dev/serial fallback where udev is missing)")
  .action(async () => (await import("./tools-cli.js")).portsCommand());
program
  .command("i2c-scan")
  .description("list the addresses that answer on an I²C bus")
  .argument("<bus>", "the bus number (/dev/i2c-N)")
  .action(async (bus: string) => {
    process.exitCode = await (await import("./tools-cli.js")).i2cScanCommand(bus);
  });
program
  .command("gpio-probe")
  .description("read a GPIO input line (header/BCM number) and report its level")
  .argument("<line>", "the line number")
  .option("--chip-label <label>", "the GPIO chip's sysfs label (default: found on a Raspberry Pi)")
  .action(async (line: string, opts) => {
    process.exitCode = await (await import("./tools-cli.js")).gpioProbeCommand(line, opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  process.exitCode = err.exitCode === 0 ? 0 : 2;
}
