/**
 * `photon-bench ctl`'s MQTT side: one connection (credentials and TLS as the agent's own), the
 * bench found by its retained status when not named, and requests matched to their response by
 * transaction id.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Response } from "../control/protocol.js";
import { sendImmediately } from "../mqtt/connection.js";

export interface CtlOptions {
  broker: string;
  bench?: string;
  baseTopic: string;
  username?: string;
  passwordFile?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  timeoutS: string;
  yes?: boolean;
  patch?: boolean;
}

/** Exit 2: the command line or a file given on it is wrong. */
export class CtlUsageError extends Error {}
/** Exit 5: the broker or the agent did not answer. */
export class NoAnswer extends Error {}

function read(option: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new CtlUsageError(`${option} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export function connectOptions(options: CtlOptions): IClientOptions {
  const password = options.passwordFile
    ? read("--password-file", options.passwordFile).trim()
    : process.env.PHOTON_BENCH_PASSWORD;
  return {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs(options),
    clientId: `photon-bench-ctl-${randomUUID().slice(0, 8)}`,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(options.ca ? { ca: read("--ca", options.ca) } : {}),
    ...(options.cert ? { cert: read("--cert", options.cert) } : {}),
    ...(options.key ? { key: read("--key", options.key) } : {}),
    rejectUnauthorized: !options.insecure,
  };
}

export function timeoutMs(options: CtlOptions): number {
  const seconds = Number(options.timeoutS);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
    throw new CtlUsageError(`--timeout-s: expected seconds in (0, 3600], got "${options.timeoutS}"`);
  return seconds * 1000;
}

export class CtlClient {
  private constructor(
    readonly client: MqttClient,
    readonly root: string,
    private readonly waitMs: number,
  ) {}

  static async connect(options: CtlOptions): Promise<CtlClient> {
    const waitMs = timeoutMs(options);
    let client: MqttClient;
    try {
      client = await withTimeout(
        mqtt.connectAsync(options.broker, connectOptions(options)),
        waitMs,
        "the broker",
      );
    } catch (err) {
      if (err instanceof CtlUsageError) throw err;
      throw new NoAnswer(`cannot connect to ${options.broker}: ${(err as Error).message}`);
    }
    sendImmediately(client);
    const base = options.baseTopic.replace(/\/+$/, "");
    const bench = options.bench ?? (await discoverBench(client, base, waitMs));
    return new CtlClient(client, `${base}/${bench}`, waitMs);
  }

  /** Sends `request/<verb>` and resolves with its response, or throws NoAnswer after the timeout. */
  async request(verb: string, args: Record<string, unknown> = {}): Promise<Response> {
    const transaction = `ctl-${randomUUID()}`;
    const topic = `${this.root}/response/${verb}`;
    const answer = new Promise<Response>((resolve) => {
      const onMessage = (t: string, payload: Buffer) => {
        if (t !== topic) return;
        let response: Response;
        try {
          response = JSON.parse(payload.toString()) as Response;
        } catch {
          return;
        }
        if (response.transaction !== transaction) return;
        this.client.off("message", onMessage);
        resolve(response);
      };
      this.client.on("message", onMessage);
    });
    await this.client.subscribeAsync(topic, { qos: 1 });
    await this.client.publishAsync(`${this.root}/request/${verb}`, JSON.stringify({ transaction, ...args }), {
      qos: 1,
    });
    return withTimeout(answer, this.waitMs, `the agent at ${this.root}`);
  }

  /** Retained and live messages on `filter` under the bench's root, to `handler`. */
  async watch(filters: string[], handler: (topic: string, payload: unknown) => void): Promise<void> {
    this.client.on("message", (topic, payload) => {
      let value: unknown;
      try {
        value = JSON.parse(payload.toString());
      } catch {
        value = payload.toString();
      }
      handler(topic.slice(this.root.length + 1), value);
    });
    await this.client.subscribeAsync(
      filters.map((f) => `${this.root}/${f}`),
      { qos: 1 },
    );
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

/** The one bench with a retained status on this broker. */
async function discoverBench(client: MqttClient, base: string, waitMs: number): Promise<string> {
  const benches = new Set<string>();
  const onMessage = (topic: string) => {
    const parts = topic.split("/");
    if (parts.length >= 2) benches.add(parts[parts.length - 2]!);
  };
  client.on("message", onMessage);
  await client.subscribeAsync(`${base}/+/status`, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, 700)));
  client.off("message", onMessage);
  await client.unsubscribeAsync(`${base}/+/status`);
  if (benches.size === 1) return [...benches][0]!;
  if (benches.size === 0)
    throw new NoAnswer(`no bench has a status under ${base}/ on this broker: is the agent running?`);
  throw new CtlUsageError(`name the bench with --bench: this broker has ${[...benches].sort().join(", ")}`);
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`no answer from ${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
