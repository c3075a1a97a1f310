/** The command line's usage lines, in a module of their own so that the dispatcher (cli.ts) shows them without loading a subcommand. */

export const ANALYZE_USAGE =
  "usage: photon-bench analyze FILE [--channels A,B] [--window-ns N] [--bin-ps N] [--period-ps N|auto|cw] [--zero-delay-ps N] [--dead-time-ns N] [--background-cps A,B] [--setup-efficiency X] [--log-bins N] [--threads N] [--json] [--csv OUT] [--force]";

export const USAGE = `usage: photon-bench run [--config FILE] [--limits FILE] [--state-dir DIR] [--broker mqtt://host:port] [--log-level LEVEL] [--sim-speed X]
       photon-bench check-config [--config FILE]
       ${ANALYZE_USAGE.replace(/^usage: /, "")}
       photon-bench --version`;
