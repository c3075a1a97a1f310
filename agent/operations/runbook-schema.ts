/**
 * A runbook (YAML, validated here): a recovery procedure as a list of steps, each one of
 *   - `command`: a control-plane verb and its arguments, run exactly as an operator's request
 *     (same schema, interlocks, limits and audit trail, `via: runbook:<name>`);
 *   - `wait`: a condition on a metric, polled until it has held `forS`, failing after `timeoutS`;
 *   - `check`: a condition that must hold now;
 *   - `pauseS`: a pause, e.g. between bias steps.
 * The first step that fails ends the run and escalates (the incident pages).
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";
import { conditionSchema } from "../../config/operations.js";

const stepName = z.string().min(1).max(120);
const stepSchema = z.union([
  z.strictObject({
    name: stepName,
    command: z.string().regex(/^[a-z-]+\/[a-z-]+$/, "a verb such as detector/bias"),
    args: z.record(z.string(), z.unknown()).default({}),
  }),
  z.strictObject({
    name: stepName,
    wait: conditionSchema,
    timeoutS: z.number().positive().max(86_400),
    forS: z.number().min(0).max(3600).default(0),
  }),
  z.strictObject({ name: stepName, check: conditionSchema }),
  z.strictObject({ name: stepName, pauseS: z.number().min(0).max(3600) }),
]);
export type RunbookStep = z.infer<typeof stepSchema>;

export const runbookSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/, "lower-case letters, digits and -"),
  description: z.string().min(1),
  steps: z.array(stepSchema).min(1),
});
export type Runbook = z.infer<typeof runbookSchema>;

/** The runbooks shipped beside the code: config/runbooks/, from dist/agent/operations/ or agent/operations/. */
export function shippedRunbooksDir(): string {
  for (const up of ["../../", "../../../"]) {
    const dir = fileURLToPath(new URL(`${up}config/runbooks/`, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return fileURLToPath(new URL("../../config/runbooks/", import.meta.url));
}

/** Every `*.yaml` in the directories, later ones replacing earlier ones of the same name. */
export async function loadRunbooks(dirs: readonly string[]): Promise<Map<string, Runbook>> {
  const books = new Map<string, Runbook>();
  for (const dir of dirs) {
    const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
    for (const file of files) {
      const path = join(dir, file);
      const book = parseRunbook(await readFile(path, "utf8"), path);
      books.set(book.name, book);
    }
  }
  return books;
}

/** Parses and validates one runbook; the error names the file and the path in it. */
export function parseRunbook(text: string, where: string): Runbook {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${where}: not YAML: ${(err as Error).message}`);
  }
  const checked = runbookSchema.safeParse(doc);
  if (!checked.success)
    throw new Error(
      `${where}: ${checked.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`,
    );
  return checked.data;
}
