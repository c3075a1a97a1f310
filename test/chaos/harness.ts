/**
 * The chaos suite's rig: one persistent Mosquitto on 127.0.0.1, the built agent as a process on
 * the simulated bench, and a watcher with a session of its own (so it misses nothing while the
 * broker restarts) that keeps every message, the alarms raised and each journaled topic's `seq`.
 * Every wait is bounded; a scenario that cannot reach its state fails with what it waited for.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import mqtt, { type MqttClient } from "mqtt";
import { SIM_EXAMPLE } from "../helpers/bench-config.js";
import { type AgentProcess, type Broker, spawnAgent } from "../helpers/processes.js";

/** One line per scenario, as `make chaos` prints it. */
export interface ChaosResult {
  scenario: string;
  /** The bench ended safe: what that means is the scenario's (permit low, bias off, exit 0 after the safe state, …). */
  safeState: boolean;
  /** The alarm the scenario is about if it was raised, else the first raised (null: none). */
  alarm: string | null;
  /** Every alarm raised meanwhile, in order (a silent cryostat also faults the detectors that read it). */
  alarms: string[];
  /** Gaps in `seq` on the journaled topics: QoS 1 messages lost. */
  lostMessages: number;
  /** Seconds from the fault's end to the bench back in normal operation (null: it stays stopped, by design). */
  recoveredS: number | null;
  detail?: string;
}

export interface Seen {
  topic: string;
  payload: Record<string, unknown>;
  atMs: number;
}

/** A telemetry message's values. */
export const values = (m: Seen) => (m.payload.values ?? {}) as Record<string, unknown>;
/** Seconds between two wall-clock instants, to 10 ms (a figure, never asserted). */
export const seconds = (fromMs: number, toMs: number) => Number(((toMs - fromMs) / 1000).toFixed(2));

const JOURNALED = /\/(telemetry|measurement|alarm|event)\/|\/alignment$/;

export class Watcher {
  readonly messages: Seen[] = [];
  private readonly seqs = new Map<string, Set<number>>();
  /** Reconnects on which the broker had forgotten the watcher's session: messages lost to the watcher, not by the agent. */
  sessionsLost = 0;

  private constructor(
    readonly client: MqttClient,
    readonly root: string,
  ) {
    // Registered after the first connection: every "connect" here is a reconnect.
    client.on("connect", (connack) => {
      if (!connack.sessionPresent) this.sessionsLost++;
    });
    client.on("message", (topic, payload) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(payload.toString()) as Record<string, unknown>;
      } catch {
        parsed = { raw: payload.toString() };
      }
      this.messages.push({ topic: topic.slice(root.length + 1), payload: parsed, atMs: Date.now() });
      if (JOURNALED.test(topic) && typeof parsed.seq === "number") {
        if (!this.seqs.has(topic)) this.seqs.set(topic, new Set());
        this.seqs.get(topic)!.add(parsed.seq);
      }
    });
  }

  static async open(url: string, benchId: string): Promise<Watcher> {
    const client = await mqtt.connectAsync(url, {
      clientId: `chaos-watch-${benchId}`,
      clean: false,
      reconnectPeriod: 200,
    });
    const root = `photon-bench/${benchId}`;
    const watcher = new Watcher(client, root);
    await client.subscribeAsync(`${root}/#`, { qos: 1 });
    return watcher;
  }

  /** The first message from index `from` on that matches; fails after `timeoutMs` naming `what`. */
  async waitFor(what: string, match: (m: Seen) => boolean, timeoutMs = 15_000, from = 0): Promise<Seen> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = from; i < this.messages.length; i++)
        if (match(this.messages[i]!)) return this.messages[i]!;
      if (Date.now() > deadline) throw new Error(`chaos: no ${what} within ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  telemetry(device: string, timeoutMs = 15_000, from = this.messages.length) {
    return this.waitFor(
      `telemetry from ${device}`,
      (m) => m.topic === `telemetry/${device}`,
      timeoutMs,
      from,
    );
  }

  alarm(name: string, active: boolean, timeoutMs = 30_000, from = 0) {
    return this.waitFor(
      `alarm ${name} ${active ? "raised" : "cleared"}`,
      (m) => m.topic === `alarm/${name}` && m.payload.active === active,
      timeoutMs,
      from,
    );
  }

  /** Alarm names raised (active) since index `from`, in order. */
  alarmsRaised(from = 0): string[] {
    const names = this.messages
      .slice(from)
      .filter((m) => m.topic.startsWith("alarm/") && m.payload.active === true)
      .map((m) => m.topic.slice("alarm/".length));
    return [...new Set(names)];
  }

  /** Missing `seq` numbers below each journaled topic's highest. */
  lostMessages(): number {
    return this.gaps().length;
  }

  /** Each missing message as `topic#seq`. */
  gaps(): string[] {
    const missing: string[] = [];
    for (const [topic, seqs] of this.seqs) {
      const max = Math.max(...seqs);
      for (let s = 1; s <= max; s++)
        if (!seqs.has(s)) missing.push(`${topic.slice(this.root.length + 1)}#${s}`);
    }
    return missing;
  }

  async request(verb: string, args: object = {}, timeoutMs = 10_000) {
    const transaction = `chaos-${verb.replace("/", "-")}-${Date.now()}`;
    const from = this.messages.length;
    await this.client.publishAsync(`${this.root}/request/${verb}`, JSON.stringify({ transaction, ...args }), {
      qos: 1,
    });
    const answer = await this.waitFor(
      `an answer to ${verb}`,
      (m) => m.topic === `response/${verb}` && m.payload.transaction === transaction,
      timeoutMs,
      from,
    );
    return answer.payload as { status: string; error?: { code: string; message: string } };
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** What every chaos agent runs with: fast telemetry and reconnects, so each scenario is short. */
export const CHAOS_ENV = {
  PHOTON_BENCH_LOOPS__TELEMETRY__PERIOD_MS: "250",
  PHOTON_BENCH_MQTT__RECONNECT__INITIAL_DELAY_MS: "100",
  PHOTON_BENCH_MQTT__RECONNECT__MAX_DELAY_MS: "500",
  PHOTON_BENCH_CORRELATION__INTEGRATION_S: "1",
};

export interface ChaosAgent extends AgentProcess {
  stateDir: string;
  /** When the process was started (wall clock, ms). */
  spawnedAtMs: number;
}

/** The built agent on the simulated bench against the rig's broker. */
export function runAgent(
  broker: Broker,
  benchId: string,
  options: { env?: Record<string, string>; stateDir?: string; args?: string[] } = {},
): ChaosAgent {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), `pb-chaos-${benchId}-`));
  const spawnedAtMs = Date.now();
  const agent = spawnAgent(
    ["run", "--config", SIM_EXAMPLE, "--broker", broker.url, ...(options.args ?? [])],
    {
      PHOTON_BENCH_BENCH_ID: benchId,
      ...CHAOS_ENV,
      ...options.env,
      STATE_DIRECTORY: stateDir,
    },
  );
  return { ...agent, stateDir, spawnedAtMs };
}

/** SIGTERM, and the exit status (null if it had to be killed after `timeoutMs`). */
export async function stopAgent(agent: AgentProcess, timeoutMs = 20_000): Promise<number | null> {
  if (agent.child.exitCode !== null) return agent.child.exitCode;
  agent.child.kill("SIGTERM");
  const timer = setTimeout(() => agent.child.kill("SIGKILL"), timeoutMs);
  const { code } = await agent.exit;
  clearTimeout(timer);
  return code;
}

/** The sim's fault schedule as the agent's environment takes it (YAML flow). */
export function simFaults(faults: Array<Record<string, string | number>>): Record<string, string> {
  const items = faults.map(
    (f) =>
      `{${Object.entries(f)
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ")}}`,
  );
  return { PHOTON_BENCH_SIM__FAULTS: `[${items.join(", ")}]` };
}

/** Whether the logs show the safe state driven: lasers off, bias off, stages holding. */
export const drovesSafe = (agent: AgentProcess): boolean => agent.stdout().includes('"msg":"bench safe');

export interface Scenario {
  name: string;
  quick: boolean;
  /** The alarm the scenario must raise (null: none). */
  alarm: string | null;
  /** The outcome, or why this machine cannot run it (e.g. no permission to mount a filesystem). */
  run(broker: Broker): Promise<Omit<ChaosResult, "alarm"> | { skipped: string }>;
}

/** Runs `body` with a fresh watcher and agent for `benchId`; the agent is stopped (SIGTERM) after. */
export async function withBench(
  broker: Broker,
  benchId: string,
  setup: { env?: Record<string, string>; stateDir?: string },
  body: (
    watch: Watcher,
    agent: ReturnType<typeof runAgent>,
  ) => Promise<Omit<ChaosResult, "scenario" | "lostMessages" | "alarm">>,
): Promise<Omit<ChaosResult, "alarm">> {
  const watch = await Watcher.open(broker.url, benchId);
  const agent = runAgent(broker, benchId, setup);
  try {
    await watch.waitFor(
      "the agent online",
      (m) => m.topic === "status" && m.payload.state === "online",
      20_000,
    );
    const result = await body(watch, agent);
    const exit = await stopAgent(agent);
    await sleep(300);
    const gaps = watch.gaps();
    if (watch.sessionsLost > 0)
      throw new Error("chaos: the broker forgot the watcher's session (is its persistence writable?)");
    if (gaps.length > 0) result.detail = `${result.detail ?? ""} lost: ${gaps.slice(0, 8).join(" ")}`.trim();
    // CHAOS_LOGS=DIR keeps the agent's log and every message seen, for a scenario that lost some.
    const logs = process.env.CHAOS_LOGS;
    if (gaps.length > 0 && logs)
      writeFileSync(
        join(logs, `chaos-${benchId}.log`),
        `${agent.stdout()}\n---\n${watch.messages.map((m) => `${m.atMs} ${m.topic} ${JSON.stringify(m.payload)}`).join("\n")}`,
      );
    return {
      scenario: benchId,
      ...result,
      safeState: result.safeState && exit === 0 && drovesSafe(agent),
      lostMessages: watch.lostMessages(),
    };
  } finally {
    agent.child.kill("SIGKILL");
    await agent.exit;
    await watch.close();
  }
}
