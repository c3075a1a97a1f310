/**
 * photon-bench self-check: is this installation able to run the bench? One line per check —
 * the configuration, the state directory, each device's bus endpoint (a serial port, an I²C
 * bus, the GPIO lines; simulated devices need none), the broker — and, with `--expect-version`,
 * that the agent itself came up: its retained status says online with that version. The update
 * script (systemd/install.sh) runs it after switching versions and rolls back when it fails.
 *
 * Exit status: 0 every check passed, 1 one failed (each failure says what and where).
 */
import { constants, existsSync } from "node:fs";
import { access, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import mqtt from "mqtt";
import { type LoadedConfig, loadConfig } from "../config/load.js";
import type { BenchConfig } from "../config/schema.js";
import { brokerCredentials } from "./mqtt/credentials.js";
import { Topics } from "./mqtt/topics.js";

export interface SelfCheckOptions {
  config: string;
  stateDir: string;
  broker?: string;
  expectVersion?: string;
  waitS: string;
  json?: boolean;
}

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

/** Where a device is reached: serial paths, I²C buses, and whether it uses GPIO lines. */
export function endpointsOf(device: unknown): { paths: string[]; gpio: boolean } {
  const paths = new Set<string>();
  let gpio = false;
  const walk = (node: unknown, key: string) => {
    if (typeof node !== "object" || node === null) return;
    const o = node as Record<string, unknown>;
    if (key === "serial" && typeof o.path === "string") paths.add(o.path);
    if (typeof o.bus === "number" && typeof o.address === "number") paths.add(`/dev/i2c-${o.bus}`);
    if (typeof o.line === "number") gpio = true;
    for (const [k, v] of Object.entries(o)) walk(v, k);
  };
  walk(device, "");
  if (typeof (device as { line?: unknown })?.line === "number") gpio = true;
  return { paths: [...paths], gpio };
}

async function deviceChecks(config: BenchConfig): Promise<Check[]> {
  const checks: Check[] = [];
  for (const [name, device] of Object.entries(config.devices)) {
    const backend = device.backend ?? config.backend;
    if (backend === "sim") {
      checks.push({ check: `device ${name}`, ok: true, detail: "simulated" });
      continue;
    }
    const { paths, gpio } = endpointsOf(device);
    const problems: string[] = [];
    for (const path of paths)
      await access(path, constants.R_OK | constants.W_OK).catch((err: NodeJS.ErrnoException) =>
        problems.push(`${path}: ${err.code ?? err.message}`),
      );
    if (gpio && !existsSync("/sys/class/gpio")) problems.push("/sys/class/gpio: missing (sysfs GPIO)");
    checks.push({
      check: `device ${name}`,
      ok: problems.length === 0,
      detail: problems.length
        ? problems.join("; ")
        : [...paths, ...(gpio ? ["GPIO"] : [])].join(", ") || "no bus",
    });
  }
  return checks;
}

async function stateDirCheck(dir: string): Promise<Check> {
  const probe = join(dir, `.self-check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, "ok");
    await rm(probe);
    return { check: "state directory", ok: true, detail: dir };
  } catch (err) {
    return {
      check: "state directory",
      ok: false,
      detail: `${dir}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    };
  }
}

/** Connects to the broker; with `expectVersion`, waits for the agent's retained status to say online with it. */
async function brokerChecks(
  config: BenchConfig,
  expectVersion: string | undefined,
  waitS: number,
): Promise<Check[]> {
  const m = config.mqtt;
  const url = m.broker === "embedded" ? `mqtt://${m.embedded.host}:${m.embedded.port}` : m.broker;
  let credentials: ReturnType<typeof brokerCredentials>;
  try {
    credentials = brokerCredentials(m);
  } catch (err) {
    return [{ check: "broker", ok: false, detail: `${url}: ${(err as Error).message}` }];
  }
  const { username, password, tls } = credentials;
  const deadline = Date.now() + waitS * 1000;
  const statusTopic = new Topics(m.baseTopic, config.benchId).status();
  let lastStatus: Record<string, unknown> | undefined;
  for (;;) {
    const client = mqtt.connect(url, {
      clientId: `photon-bench-self-check-${process.pid}`,
      connectTimeout: 3000,
      reconnectPeriod: 0,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(tls ?? {}),
    });
    const outcome = await new Promise<"connected" | string>((resolve) => {
      client.once("connect", () => resolve("connected"));
      client.once("error", (err) => resolve(err.message));
      client.once("close", () => resolve("connection closed"));
    });
    if (outcome === "connected") {
      if (expectVersion === undefined) {
        await client.endAsync(true);
        return [{ check: "broker", ok: true, detail: url }];
      }
      const seen = new Promise<void>((resolve) => {
        client.on("message", (_t, payload) => {
          try {
            lastStatus = JSON.parse(payload.toString()) as Record<string, unknown>;
          } catch {
            return;
          }
          if (lastStatus.state === "online" && lastStatus.version === expectVersion) resolve();
        });
      });
      await client.subscribeAsync(statusTopic, { qos: 1 });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        seen,
        new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
      await client.endAsync(true);
      const ok = lastStatus?.state === "online" && lastStatus.version === expectVersion;
      return [
        { check: "broker", ok: true, detail: url },
        {
          check: "agent",
          ok,
          detail: ok
            ? `online, version ${expectVersion}`
            : `expected online with version ${expectVersion} within ${waitS} s; status says ${lastStatus ? `${lastStatus.state}, version ${lastStatus.version}` : "nothing"}`,
        },
      ];
    }
    client.end(true);
    if (Date.now() >= deadline) return [{ check: "broker", ok: false, detail: `${url}: ${outcome}` }];
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function selfCheckCommand(options: SelfCheckOptions): Promise<void> {
  const checks: Check[] = [];
  let loaded: LoadedConfig | undefined;
  try {
    loaded = loadConfig({
      file: options.config,
      env: process.env,
      overrides: { "mqtt.broker": options.broker },
    });
    checks.push({ check: "config", ok: true, detail: `${options.config}: bench ${loaded.config.benchId}` });
  } catch (err) {
    checks.push({ check: "config", ok: false, detail: (err as Error).message.replace(/\n/g, "; ") });
  }
  checks.push(await stateDirCheck(options.stateDir));
  if (loaded) {
    checks.push(...(await deviceChecks(loaded.config)));
    const waitS = Number(options.waitS);
    checks.push(
      ...(await brokerChecks(loaded.config, options.expectVersion, Number.isFinite(waitS) ? waitS : 30)),
    );
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ ok: checks.every((c) => c.ok), checks })}\n`);
  else for (const c of checks) process.stdout.write(`${c.ok ? "ok  " : "FAIL"} ${c.check}: ${c.detail}\n`);
  process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
}
