/**
 * Where a worker thread's module is: the built .js beside this one (dist/, where the agent runs),
 * or, when running from the TypeScript sources (the tests), the built one in dist/.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function workerUrl(name: "correlation-worker" | "slice-worker"): URL {
  const beside = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL(`../../dist/agent/correlation/${name}.js`, import.meta.url);
}
