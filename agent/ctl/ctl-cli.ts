/**
 * photon-bench ctl: status, watch, config get|push|history|rollback, cmd VERB [JSON].
 * Exit status: 0 done, 2 usage (a bad argument or file), 4 refused by the agent (the reason is
 * printed), 5 no answer (the broker or the agent).
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { ConfigError, parseYaml } from "../../config/load.js";
import type { Response } from "../control/protocol.js";
import { CtlClient, type CtlOptions, CtlUsageError, NoAnswer } from "./client.js";
import { watchTable } from "./watch.js";

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`photon-bench ctl: ${text}\n`);

/** An error response is exit 4, with its code, message and path on stderr. */
function answered(
  response: Response,
  print: (data: unknown) => void = (d) => out(JSON.stringify(d, null, 2)),
): number {
  if (response.status === "ok") {
    print(response.data);
    return 0;
  }
  const e = response.error!;
  err(`refused (${e.code}${e.path ? ` at ${e.path}` : ""}): ${e.message}`);
  return 4;
}

function jsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CtlUsageError(`${what}: not JSON (${(e as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CtlUsageError(`${what}: expected a JSON object such as '{"on":true}'`);
  return value as Record<string, unknown>;
}

export async function ctlCommand(name: string, args: string[], options: CtlOptions): Promise<number> {
  let client: CtlClient | undefined;
  try {
    // Arguments are checked before anything connects.
    const cmdArgs = name === "cmd" ? jsonObject(args[1] ?? "{}", "the arguments") : undefined;
    const pushed = name === "config push" ? readDocument(args[0]!) : undefined;
    const rollback = name === "config rollback" ? Number(args[0]) : undefined;
    if (rollback !== undefined && !(Number.isInteger(rollback) && rollback >= 0))
      throw new CtlUsageError(`config rollback: a version number, got "${args[0]}"`);

    client = await CtlClient.connect(options);
    switch (name) {
      case "status":
        return await status(client);
      case "watch":
        await watchTable(client);
        return 0;
      case "config get":
        return answered(await client.request("config/get"));
      case "config history":
        return answered(await client.request("config/history"), (data) => {
          for (const v of (data as { versions: Array<Record<string, unknown>> }).versions)
            out(`${String(v.version).padStart(4)}  ${v.ts || "(local file)"}  ${v.hash}  ${v.by}`);
        });
      case "config rollback":
        return answered(await client.request("config/rollback", { version: rollback }), printApplied);
      case "config push":
        return await push(client, pushed!, options);
      case "cmd":
        return answered(await client.request(args[0]!, cmdArgs));
      default:
        throw new CtlUsageError(`unknown ctl command ${name}`);
    }
  } catch (e) {
    if (e instanceof CtlUsageError) {
      err(e.message);
      return 2;
    }
    if (e instanceof NoAnswer) {
      err(e.message);
      return 5;
    }
    throw e;
  } finally {
    await client?.close();
  }
}

function readDocument(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CtlUsageError(`${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return parseYaml(text, file);
  } catch (e) {
    if (e instanceof ConfigError) throw new CtlUsageError(`${file}: ${e.problems.join("; ")}`);
    throw e;
  }
}

function printApplied(data: unknown): void {
  const d = data as { version: number; changed: string[]; restartRequired: string[] };
  out(`version ${d.version}: ${d.changed.length} change(s)`);
  if (d.restartRequired.length > 0) out(`takes effect at the next restart: ${d.restartRequired.join(", ")}`);
}

async function push(
  client: CtlClient,
  document: Record<string, unknown>,
  options: CtlOptions,
): Promise<number> {
  const change = options.patch ? { patch: document } : { document };
  const check = await client.request("config/validate", change);
  if (check.status === "error") return answered(check);
  const v = check.data as {
    valid: boolean;
    problems: Array<{ path: string; message: string }>;
    changed: string[];
    restartRequired: string[];
  };
  for (const path of v.changed)
    out(`  changes ${path}${v.restartRequired.includes(path) ? "  (restart)" : ""}`);
  if (!v.valid) {
    for (const p of v.problems) err(`${p.path || "(document)"}: ${p.message}`);
    return 4;
  }
  if (v.changed.length === 0) {
    out("no change");
    return 0;
  }
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new CtlUsageError("not at a terminal: add --yes to push without asking");
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const reply = await rl.question(`apply ${v.changed.length} change(s) to ${client.root}? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(reply.trim())) {
      out("not pushed");
      return 0;
    }
  }
  return answered(await client.request("config/set", change), printApplied);
}

async function status(client: CtlClient): Promise<number> {
  const seen = new Map<string, Record<string, unknown>>();
  await client.watch(["status", "config", "alarm/+", "incident/+", "run"], (topic, payload) =>
    seen.set(topic, payload as Record<string, unknown>),
  );
  const started = performance.now();
  const ping = await client.request("agent/ping").catch(() => undefined);
  const pingMs = performance.now() - started;
  const s = seen.get("status");
  if (!s) throw new NoAnswer(`no status for ${client.root}`);
  out(
    `${client.root}: ${s.state}${s.state === "online" ? ` (version ${s.version}, pid ${s.pid}, ${s.backend})` : ` (${s.reason})`} since ${s.ts}`,
  );
  const u = s.lastUpdate as
    | { result?: string; from?: string; to?: string; ts?: string; reason?: string }
    | undefined;
  if (u)
    out(`last update: ${u.result} ${u.from ?? "?"} → ${u.to} at ${u.ts}${u.reason ? ` (${u.reason})` : ""}`);
  const c = seen.get("config");
  if (c) out(`config: version ${c.version}, hash ${c.hash}`);
  const run = seen.get("run");
  if (run?.state === "running")
    out(`run: ${run.runId} "${run.name}" by ${run.operator} since ${run.startedAt}`);
  for (const [, i] of [...seen].filter(([t, i]) => t.startsWith("incident/") && i.state === "open")) {
    const cause = i.cause as { alarm?: string; message?: string } | undefined;
    out(
      `incident ${i.id}: ${cause?.alarm} — ${cause?.message}${i.paged ? " (paged)" : ""}${i.acknowledged ? " acknowledged" : ""}`,
    );
  }
  const alarms = [...seen].filter(([t, a]) => t.startsWith("alarm/") && a.active === true);
  out(alarms.length === 0 ? "alarms: none active" : "alarms:");
  for (const [, a] of alarms)
    out(
      `  ${a.name} (${a.severity})${a.acknowledged ? " acknowledged" : ""}: ${a.message}${a.since ? ` since ${a.since}` : ""}`,
    );
  out(ping?.status === "ok" ? `answers requests (${pingMs.toFixed(0)} ms)` : "does not answer requests");
  return s.state === "online" && ping?.status === "ok" ? 0 : 5;
}
