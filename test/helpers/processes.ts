/**
 * Real programs for integration tests: Mosquitto and socat found on this machine (CI installs
 * them and sets REQUIRE_MOSQUITTO / REQUIRE_SOCAT so a missing one fails instead of skipping),
 * free ports, the built agent as a child process, and an MQTT subscriber that waits for messages.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import mqtt, { type MqttClient } from "mqtt";
import { MessageLog } from "./message-log.js";

export function findTool(name: string, requireEnv: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  if (process.env[requireEnv] === "1")
    throw new Error(`${name} is required (${requireEnv}=1) but not installed: apt-get install ${name}`);
  return undefined;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: "127.0.0.1" }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export interface Broker {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A Mosquitto of our own on a free loopback port (no config file: local-only listener). With
 * `persistent`, sessions and queued messages are saved at its stop and restored at its start.
 */
export async function startMosquitto(
  binary: string,
  options: { persistent?: boolean } = {},
): Promise<Broker> {
  const port = await freePort();
  let args = ["-p", String(port)];
  if (options.persistent) {
    const dir = mkdtempSync(join(tmpdir(), "pb-mosquitto-"));
    // Started as root, Mosquitto drops to its own user: that user must be able to save the db.
    chmodSync(dir, 0o777);
    const conf = join(dir, "mosquitto.conf");
    writeFileSync(
      conf,
      // No cap on a sleeping subscriber's queue (Mosquitto's default drops beyond 1000): a minute's
      // outage of a bench is ~3000 messages, all queued for the watcher while it reconnects.
      `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\nmax_queued_messages 0\n`,
    );
    args = ["-c", conf];
  }
  let child: ChildProcess | undefined;
  const broker: Broker = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      child = spawn(binary, args, { stdio: "ignore" });
      await waitForPort(port, 5000);
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
  await broker.start();
  return broker;
}

export const AGENT_CLI = "dist/agent/cli.js";

export function requireBuild(): void {
  if (!existsSync(AGENT_CLI))
    throw new Error(`${AGENT_CLI} is missing: run \`make build\` (make test does it)`);
}

export interface AgentProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Waits until the process has said `text` on stderr (`run` prints its addresses once it is up), or `timeoutMs`. */
export async function untilSaid(agent: AgentProcess, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!agent.stderr().includes(text) && Date.now() < deadline) await sleep(50);
}

/**
 * The built CLI as a child process; `run` keeps its state in a fresh temporary directory, and its
 * web view takes any free port (the example's 8080 would be shared by tests running side by side).
 */
export function spawnAgent(args: string[], env: Record<string, string> = {}): AgentProcess {
  requireBuild();
  const stateDir = mkdtempSync(join(tmpdir(), "photon-bench-state-"));
  const child = spawn(process.execPath, [AGENT_CLI, ...args], {
    env: { ...process.env, STATE_DIRECTORY: stateDir, PHOTON_BENCH_WEB__PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

export interface Received {
  topic: string;
  payload: Record<string, unknown>;
  retain: boolean;
}

/** Subscribes to `topic` and keeps every message; `waitFor` resolves with the first that matches. */
export async function subscriber(url: string, topic: string, protocolVersion: 4 | 5 = 4) {
  const client: MqttClient = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0 });
  const log = new MessageLog<Received>(topic);
  const { messages } = log;
  client.on("message", (t, payload, packet) => {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(payload.toString()) as Record<string, unknown>;
    } catch {
      parsed = { raw: payload.toString() };
    }
    log.push({ topic: t, payload: parsed, retain: packet.retain });
  });
  await client.subscribeAsync(topic, { qos: 1 });
  const waitFor = log.waitFor.bind(log);
  let sent = 0;
  /** Sends `request/<verb>` under `root` and resolves with the response to that transaction. */
  const request = async (
    root: string,
    verb: string,
    args: Record<string, unknown> = {},
    timeoutMs = 10_000,
  ) => {
    const transaction = `test-${process.pid}-${++sent}`;
    const from = messages.length;
    await client.publishAsync(`${root}/request/${verb}`, JSON.stringify({ transaction, ...args }), {
      qos: 1,
    });
    const answer = await waitFor(
      (m) => m.topic === `${root}/response/${verb}` && m.payload.transaction === transaction,
      timeoutMs,
      from,
    );
    return answer.payload as {
      transaction: string;
      status: "ok" | "error";
      data?: Record<string, unknown>;
      error?: { code: string; message: string; path?: string };
    };
  };
  /**
   * The message on `topic` (from index `from` on) that `match`es, checked to come from a sampling
   * round no later than the first one that began after the command (called once it was answered).
   * Judged by each sample's `ts`, not by arrival: the outbox batches its disk writes, so a round
   * read before the command may arrive after the answer.
   */
  const withinNextRound = async (
    topic: string,
    match: (m: Received) => boolean,
    from: number,
    timeoutMs = 5000,
  ) => {
    const commandDoneMs = Date.now();
    const shown = await waitFor((m) => m.topic === topic && match(m), timeoutMs, from);
    const roundAfter = await waitFor(
      (m) => m.topic === topic && Date.parse(String(m.payload.ts)) >= commandDoneMs,
      timeoutMs,
      from,
    );
    if ((shown.payload.seq as number) > (roundAfter.payload.seq as number))
      throw new Error(
        `${topic}: not shown until seq ${shown.payload.seq}; the first round begun after the command was seq ${roundAfter.payload.seq}`,
      );
    return shown;
  };
  return { client, messages, waitFor, request, withinNextRound, close: () => client.endAsync(true) };
}
