/**
 * Where a worker thread's module is: the built .js in dist/agent/<folder>/ (where the agent runs),
 * also when running from the TypeScript sources (the tests), which cannot start a .ts worker.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const workers = {
  "correlation-worker": "correlation",
  "slice-worker": "correlation",
  "interlock-guard-worker": "services",
} as const;

export function workerUrl(name: keyof typeof workers): URL {
  const beside = new URL(`./${workers[name]}/${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL(`../dist/agent/${workers[name]}/${name}.js`, import.meta.url);
}
