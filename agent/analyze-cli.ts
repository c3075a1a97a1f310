/**
 * photon-bench analyze FILE [options]: the options as commander read them (cli.ts, which also
 * gives `analyze --help`), checked here.
 * Exit status: 0 analysed, 2 bad arguments, 3 the file is unreadable or contradicts itself.
 */
import { accessSync, constants, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { analyzeFile, UsageError } from "./correlation/analyze.js";
import { TimeTagFileError } from "./correlation/readers/errors.js";
import { analysisCsv, analysisJson, analysisText } from "./correlation/report.js";

function numberOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${name}: expected a positive number, got "${text}"`);
  return value;
}

/** The analyze options as strings, as given on the command line. */
export interface AnalyzeFlags {
  channels?: string;
  windowNs?: string;
  binPs?: string;
  periodPs?: string;
  zeroDelayPs?: string;
  deadTimeNs?: string;
  backgroundCps?: string;
  setupEfficiency?: string;
  logBins?: string;
  threads?: string;
  json?: boolean;
  csv?: string;
  force?: boolean;
}

function parse(file: string, flags: AnalyzeFlags) {
  const values = {
    channels: flags.channels,
    "window-ns": flags.windowNs,
    "bin-ps": flags.binPs,
    "period-ps": flags.periodPs,
    "zero-delay-ps": flags.zeroDelayPs,
    "dead-time-ns": flags.deadTimeNs,
    "background-cps": flags.backgroundCps,
    "setup-efficiency": flags.setupEfficiency,
    "log-bins": flags.logBins,
    threads: flags.threads,
    json: flags.json,
    csv: flags.csv,
    force: flags.force,
  };
  let channels: [number, number] | undefined;
  if (values.channels !== undefined) {
    const parts = values.channels.split(",");
    const numbers = parts.map((p) => Number(p.trim()));
    if (
      parts.length !== 2 ||
      numbers.some((n) => !Number.isInteger(n) || n < 0 || n > 63) ||
      numbers[0] === numbers[1]
    )
      throw new UsageError(
        `--channels: expected two different channel numbers 0–63 as A,B, got "${values.channels}"`,
      );
    channels = [numbers[0]!, numbers[1]!];
  }
  const windowPs = Math.round(numberOption("window-ns", values["window-ns"], 100) * 1000);
  const binPs = values["bin-ps"] === undefined ? undefined : numberOption("bin-ps", values["bin-ps"], 0);
  const period = values["period-ps"];
  const periodPs: number | "auto" | "cw" =
    period === undefined || period === "auto"
      ? "auto"
      : period === "cw"
        ? "cw"
        : numberOption("period-ps", period, 0);
  let zeroDelayPs: number | undefined;
  if (values["zero-delay-ps"] !== undefined) {
    zeroDelayPs = Number(values["zero-delay-ps"]);
    if (values["zero-delay-ps"].trim() === "" || !Number.isFinite(zeroDelayPs))
      throw new UsageError(`--zero-delay-ps: expected a delay in ps, got "${values["zero-delay-ps"]}"`);
  }
  const optional = (name: string, text: string | undefined) =>
    text === undefined ? undefined : numberOption(name, text, 0);
  const deadTimeNs = optional("dead-time-ns", values["dead-time-ns"]);
  const setupEfficiency = optional("setup-efficiency", values["setup-efficiency"]);
  if (setupEfficiency !== undefined && setupEfficiency > 1)
    throw new UsageError(`--setup-efficiency: a fraction 0–1, got ${setupEfficiency}`);
  const logBins = optional("log-bins", values["log-bins"]);
  if (logBins !== undefined && (!Number.isInteger(logBins) || logBins > 1000))
    throw new UsageError(`--log-bins: a whole number of bins per decade up to 1000, got ${logBins}`);
  const threads = optional("threads", values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads > 256))
    throw new UsageError(`--threads: a whole number of threads up to 256, got ${values.threads}`);
  let backgroundCps: [number, number] | undefined;
  if (values["background-cps"] !== undefined) {
    const parts = values["background-cps"].split(",").map((p) => Number(p.trim()));
    if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n) || n < 0))
      throw new UsageError(
        `--background-cps: expected two rates ≥ 0 as A,B, got "${values["background-cps"]}"`,
      );
    backgroundCps = [parts[0]!, parts[1]!];
  }
  if (values.csv !== undefined) checkWritable("--csv", values.csv);
  return {
    file,
    ...(deadTimeNs !== undefined ? { deadTimePs: deadTimeNs * 1000 } : {}),
    ...(setupEfficiency !== undefined ? { setupEfficiency } : {}),
    ...(logBins !== undefined ? { logBinsPerDecade: logBins } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(backgroundCps ? { backgroundCps } : {}),
    ...(binPs !== undefined ? { binPs } : {}),
    ...(zeroDelayPs !== undefined ? { zeroDelayPs } : {}),
    channels,
    windowPs,
    periodPs,
    json: values.json ?? false,
    csv: values.csv,
    force: values.force ?? false,
  };
}

/** An output file's folder must exist and be writable before hours of reading start. */
function checkWritable(option: string, file: string): void {
  const folder = dirname(resolve(file));
  try {
    if (!statSync(folder).isDirectory()) throw new UsageError(`${option} ${file}: ${folder} is not a folder`);
    accessSync(folder, constants.W_OK);
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`${option} ${file}: that is a folder; give a file name`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${option} ${file}: cannot write there (${code === "ENOENT" ? `the folder ${folder} does not exist` : code})`,
    );
  }
}

/** Runs the command; resolves with the exit status. */
export async function analyzeCommand(fileArgument: string, flags: AnalyzeFlags): Promise<number> {
  try {
    const args = parse(fileArgument, flags);
    const tty = process.stderr.isTTY;
    const { file, json, csv, ...options } = args;
    const analysis = await analyzeFile(file, {
      ...options,
      ...(tty
        ? { progress: (f: number) => process.stderr.write(`\rreading ${(100 * f).toFixed(0).padStart(3)} %`) }
        : {}),
    });
    if (tty) process.stderr.write("\r              \r");
    if (csv)
      try {
        writeFileSync(csv, analysisCsv(analysis.histogram));
      } catch (err) {
        process.stderr.write(`photon-bench analyze: --csv ${csv}: ${(err as Error).message}\n`);
        return 1;
      }
    process.stdout.write(json ? `${JSON.stringify(analysisJson(analysis))}\n` : analysisText(analysis));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(
        `photon-bench analyze: ${err.message}\n(photon-bench analyze --help lists the options)\n`,
      );
      return 2;
    }
    if (err instanceof TimeTagFileError) {
      process.stderr.write(
        `photon-bench analyze: ${err.message}${err.contradiction ? " (--force analyses it anyway)" : ""}\n`,
      );
      return 3;
    }
    if (err instanceof RangeError) {
      process.stderr.write(`photon-bench analyze: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
