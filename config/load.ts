/**
 * Loads the bench configuration: schema defaults → YAML file → PHOTON_BENCH_* environment →
 * explicit overrides (command-line flags). A bad source gives a ConfigError listing every
 * problem as `path: what is wrong`, one per line; nothing is half-applied.
 */
import { readFileSync } from "node:fs";
import { type Document, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { deviceTypeNames } from "./devices.js";
import { type BenchConfig, benchConfigSchema } from "./schema.js";

export const ENV_PREFIX = "PHOTON_BENCH_";
export const DEFAULT_CONFIG_PATH = "/etc/photon-bench/bench.yaml";

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: invalid configuration\n${problems.join("\n")}`);
    this.name = "ConfigError";
  }
}

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where each path of a YAML file starts: the line of the nearest node on the path. */
export type LineOf = (path: readonly PropertyKey[], orParent?: boolean) => number | undefined;

function lineFinder(doc: Document, lines: LineCounter): LineOf {
  return (path, orParent = false) => {
    for (let n = path.length; n > (orParent ? 0 : path.length - 1); n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

/** Parses YAML text into a plain tree; syntax errors carry line and column. */
export function parseYaml(text: string, source: string): Tree {
  return parseYamlWithLines(text, source).tree;
}

function parseYamlWithLines(text: string, source: string): { tree: Tree; lineOf: LineOf } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const message = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
        return `${pos ? `line ${pos.line}, column ${pos.col}` : "(file)"}: ${message}`;
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // An alias bomb (aliases of aliases expanding without bound) ends here, not in a stack trace.
    throw new ConfigError(source, [`(file): ${(err as Error).message}`]);
  }
  if (!isTree(value)) throw new ConfigError(source, ["(file): the top level must be a mapping of sections"]);
  return { tree: value, lineOf: lineFinder(doc, lines) };
}

const squash = (key: string) => key.replace(/[_-]/g, "").toLowerCase();
const camel = (key: string) => key.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Environment overlay: `PHOTON_BENCH_MQTT__BROKER=mqtt://host:1883` sets `mqtt.broker`; `__`
 * separates levels, and each level matches an existing key ignoring case and underscores
 * (`BENCH_ID` → `benchId`). Values are read as YAML scalars, so numbers and booleans keep their type.
 */
export function applyEnv(tree: Tree, env: NodeJS.ProcessEnv): { tree: Tree; applied: string[] } {
  const out = structuredClone(tree);
  const applied: string[] = [];
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const levels = name.slice(ENV_PREFIX.length).split("__").filter(Boolean);
    if (levels.length === 0) continue;
    let node: Tree = out;
    const path: string[] = [];
    levels.forEach((level, i) => {
      const key = Object.keys(node).find((k) => squash(k) === squash(level)) ?? camel(level);
      path.push(key);
      if (i === levels.length - 1) {
        node[key] = parseYaml(`v: ${raw === "" ? '""' : raw}`, name).v;
      } else {
        if (!isTree(node[key])) node[key] = {};
        node = node[key] as Tree;
      }
    });
    applied.push(`${name} → ${path.join(".")}`);
  }
  return { tree: out, applied };
}

/** Sets dotted paths (`mqtt.broker`) on a tree: the command line's overrides. */
export function applyOverrides(tree: Tree, overrides: Record<string, unknown>): Tree {
  const out = structuredClone(tree);
  for (const [dotted, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const keys = dotted.split(".");
    let node = out;
    for (const key of keys.slice(0, -1)) {
      if (!isTree(node[key])) node[key] = {};
      node = node[key] as Tree;
    }
    node[keys.at(-1)!] = value;
  }
  return out;
}

/** One line per problem: `devices.laser.serial.path: expected string, got number`. */
export function formatIssues(issues: z.core.$ZodIssue[], lineOf?: LineOf): string[] {
  return issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    // The line of the value, or of its mapping when the key is missing; none for a value the file does not hold (env).
    const missing = issue.code === "invalid_type" && issue.input === undefined;
    const line = lineOf?.(issue.path, missing);
    return `${path}: ${describeIssue(issue)}${line === undefined ? "" : ` (line ${line})`}`;
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      const got = issue.input === undefined ? "nothing (required)" : typeName(issue.input);
      return `expected ${issue.expected}, got ${got}`;
    }
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    case "invalid_union":
      if ("discriminator" in issue && issue.discriminator)
        return `unknown ${issue.discriminator} ${JSON.stringify(isTree(issue.input) ? issue.input[issue.discriminator] : issue.input)}${
          issue.discriminator === "type" && issue.path[0] === "devices"
            ? ` (valid: ${deviceTypeNames.join(", ")})`
            : ""
        }`;
      return issue.message;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(issue.input)}`;
    default:
      return issue.message;
  }
}

const typeName = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

export interface LoadOptions {
  /** YAML file; undefined means schema defaults only (then benchId must come from env or overrides). */
  file?: string;
  /** A local limits file (`safety`, `interlocks`, `loops.interlocks`): it overrides those sections of `file`. */
  limitsFile?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: BenchConfig;
  /** The document as given (file + environment + overrides), before defaults: what pushes patch. */
  document: Record<string, unknown>;
  source: string;
  envApplied: string[];
}

export function loadConfig(options: LoadOptions): LoadedConfig {
  const source = options.file ?? "(defaults)";
  let tree: Tree = {};
  let lineOf: LineOf | undefined;
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, "utf8");
    } catch (err) {
      throw new ConfigError(source, [
        `(file): cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      ]);
    }
    ({ tree, lineOf } = parseYamlWithLines(text, source));
  }
  if (options.limitsFile !== undefined) tree = withLimits(tree, options.limitsFile);
  const { tree: withEnv, applied } = applyEnv(tree, options.env ?? {});
  const merged = applyOverrides(withEnv, options.overrides ?? {});
  const parsed = benchConfigSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) throw new ConfigError(source, formatIssues(parsed.error.issues, lineOf));
  return { config: parsed.data, document: merged, source, envApplied: applied };
}

const LIMIT_SECTIONS = ["safety", "interlocks", "loops"];

/** The limits file's sections over the bench file's (only `safety`, `interlocks` and `loops.interlocks`). */
function withLimits(tree: Tree, file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [
      `(file): cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
  const limits = parseYaml(text, file);
  const stray = Object.keys(limits).filter((k) => !LIMIT_SECTIONS.includes(k));
  const strayLoops = isTree(limits.loops) ? Object.keys(limits.loops).filter((k) => k !== "interlocks") : [];
  if (stray.length + strayLoops.length > 0)
    throw new ConfigError(file, [
      ...stray.map(
        (k) => `${k}: not a limits section (a limits file holds safety, interlocks, loops.interlocks)`,
      ),
      ...strayLoops.map((k) => `loops.${k}: not a limit (only loops.interlocks)`),
    ]);
  const out = structuredClone(tree);
  if (limits.safety !== undefined) out.safety = limits.safety;
  if (limits.interlocks !== undefined) out.interlocks = limits.interlocks;
  if (isTree(limits.loops))
    out.loops = { ...(isTree(out.loops) ? out.loops : {}), interlocks: limits.loops.interlocks };
  return out;
}

/** Secrets redacted, for logs and the retained `config` topic. */
export function redactConfig(config: BenchConfig): BenchConfig {
  const copy = structuredClone(config);
  if (copy.mqtt.password !== undefined) copy.mqtt.password = "***";
  return copy;
}
