/**
 * Runs a script as the main module, then prints the process's peak resident size (worker threads
 * included: they share the process) to stderr as `peakRssMb=N`. For the memory benchmark:
 *   node dist/bench/lib/peak-rss.js dist/agent/cli.js analyze FILE …
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [script, ...rest] = process.argv.slice(2);
if (!script) throw new Error("usage: peak-rss.js SCRIPT [ARGS…]");
process.argv = [process.argv[0]!, script, ...rest];
process.on("exit", () =>
  process.stderr.write(`peakRssMb=${(process.resourceUsage().maxRSS / 1024).toFixed(1)}\n`),
);
await import(pathToFileURL(resolve(script)).href);
