/**
 * Who may do what, against a real Mosquitto with mutual TLS and the ACL we ship
 * (config/examples/mosquitto/acl): certificates made here with openssl (a lab CA, the broker, the
 * agent with its bench id as CN, an operator, a viewer). The agent connects over mqtts:// with its
 * certificate; an operator's `ctl cmd` reaches the laser, a viewer's never does; a client
 * without a certificate, or one that does not know the lab's CA, gets no connection.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_EXAMPLE } from "../helpers/bench-config.js";
import { type AgentProcess, findTool, freePort, spawnAgent } from "../helpers/processes.js";
import { sparkplugHost } from "../helpers/sparkplug-host.js";

const mosquitto = findTool("mosquitto", "REQUIRE_MOSQUITTO");
const openssl = findTool("openssl", "REQUIRE_MOSQUITTO");
const BENCH = "sim-bench-01";
const ROOT = `photon-bench/${BENCH}`;

/** A CA and certificates signed by it, in `dir`. */
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]) => execFileSync(openssl!, args, { cwd: dir, stdio: "pipe" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=photon-bench test lab CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  );
  const sign = (name: string, cn: string, ext?: string) => {
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    );
    if (ext) writeFileSync(join(dir, `${name}.ext`), ext);
    const extArgs = ext ? ["-extfile", `${name}.ext`] : [];
    ssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${name}.crt`,
      ...extArgs,
    );
  };
  sign("broker", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  // Mosquitto started as root reads its files as the mosquitto user: these test keys are world-readable.
  chmodSync(dir, 0o755);
  for (const name of ["ca", "broker"]) chmodSync(join(dir, `${name}.key`), 0o644);
  sign("agent", BENCH);
  sign("operator", "operator");
  sign("viewer", "viewer");
  sign("scada", "scada");
}

describe.skipIf(!mosquitto || !openssl)("Mosquitto with mutual TLS and the shipped ACL", () => {
  const dir = mkdtempSync(join(tmpdir(), "pb-tls-"));
  let port: number;
  let url: string;
  let broker: ChildProcess;
  let agent: AgentProcess;
  let watcher: MqttClient;
  const seen: Array<{ topic: string; payload: Record<string, unknown> }> = [];
  const tlsFlags = (who: string) => [
    "--ca",
    join(dir, "ca.crt"),
    "--cert",
    join(dir, `${who}.crt`),
    "--key",
    join(dir, `${who}.key`),
  ];
  const ctl = async (...args: string[]) => {
    const run = spawnAgent(["ctl", "--broker", url, "--bench", BENCH, "--timeout-s", "3", ...args]);
    return { code: (await run.exit).code, stdout: run.stdout(), stderr: run.stderr() };
  };
  const laserPowers = () =>
    seen
      .filter((m) => m.topic === `${ROOT}/telemetry/laser` && m.payload.state === "ok")
      .map((m) => (m.payload.values as { powerMw: number }).powerMw);

  beforeAll(async () => {
    makeCertificates(dir);
    port = await freePort();
    url = `mqtts://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, "mosquitto.conf"),
      [
        "per_listener_settings false",
        "allow_anonymous false",
        `listener ${port} 127.0.0.1`,
        `cafile ${join(dir, "ca.crt")}`,
        `certfile ${join(dir, "broker.crt")}`,
        `keyfile ${join(dir, "broker.key")}`,
        "require_certificate true",
        "use_identity_as_username true",
        `acl_file ${resolve("config/examples/mosquitto/acl")}`,
        "",
      ].join("\n"),
    );
    broker = spawn(mosquitto!, ["-c", join(dir, "mosquitto.conf")], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: "ignore" });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    agent = spawnAgent(["run", "--config", SIM_EXAMPLE, "--broker", url], {
      PHOTON_BENCH_MQTT__TLS__CA_FILE: join(dir, "ca.crt"),
      PHOTON_BENCH_MQTT__TLS__CERT_FILE: join(dir, "agent.crt"),
      PHOTON_BENCH_MQTT__TLS__KEY_FILE: join(dir, "agent.key"),
      PHOTON_BENCH_LOOPS__TELEMETRY__PERIOD_MS: "300",
      PHOTON_BENCH_SPARKPLUG__ENABLED: "true",
    });
    // A viewer watches everything the bench publishes.
    watcher = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      ca: readFileSync(join(dir, "ca.crt")),
      cert: readFileSync(join(dir, "viewer.crt")),
      key: readFileSync(join(dir, "viewer.key")),
    });
    watcher.on("message", (topic, payload) => seen.push({ topic, payload: JSON.parse(payload.toString()) }));
    await watcher.subscribeAsync(`${ROOT}/#`, { qos: 1 });
    for (let i = 0; i < 200 && laserPowers().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  }, 60_000);

  afterAll(async () => {
    await watcher?.endAsync(true);
    agent?.child.kill("SIGTERM");
    await agent?.exit;
    broker?.kill("SIGTERM");
  });

  it("the agent publishes over mutual TLS; an operator's command reaches the laser, a viewer's never does", async () => {
    expect(laserPowers().at(-1)).toBeCloseTo(1, 1); // the simulated laser starts at 1 mW
    const operator = await ctl(...tlsFlags("operator"), "cmd", "laser/power", '{"powerMw":3}');
    expect(operator.code).toBe(0);
    expect(JSON.parse(operator.stdout)).toMatchObject({ device: "laser", powerMw: 3 });
    const viewer = await ctl(...tlsFlags("viewer"), "cmd", "laser/power", '{"powerMw":4}');
    expect(viewer.code).toBe(5); // the broker dropped the request: no answer
    const from = seen.length;
    for (
      let i = 0;
      i < 100 && seen.slice(from).filter((m) => m.topic.endsWith("/telemetry/laser")).length < 2;
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    // The laser's own read-back (with its measurement noise): 3 mW, not 4.
    expect(laserPowers().at(-1)).toBeCloseTo(3, 1);
    const audited = seen.filter((m) => m.topic === `${ROOT}/event/audit`).map((m) => m.payload.request);
    expect(audited).toEqual([{ powerMw: 3 }]);
  }, 30_000);

  it("the shipped ACL lets the agent's edge node publish and take commands, and a Sparkplug host command it", async () => {
    const host = await sparkplugHost(url, "photon-bench", BENCH, {
      ca: readFileSync(join(dir, "ca.crt")),
      cert: readFileSync(join(dir, "scada.crt")),
      key: readFileSync(join(dir, "scada.key")),
    });
    try {
      // The birth went out before the host came: it asks for another (NCMD), and the node answers.
      await host.rebirth();
      const birth = await host.waitFor((m) => m.type === "NBIRTH", 10_000);
      expect(birth.payload.seq).toBe(0);
      await host.waitFor((m) => m.type === "DBIRTH" && m.device === "laser", 10_000);
    } finally {
      await host.close();
    }
  }, 30_000);

  it("no certificate, or no trust in the lab's CA: no connection (exit 5)", async () => {
    const noCert = await ctl("--ca", join(dir, "ca.crt"), "cmd", "agent/ping");
    expect(noCert.code).toBe(5);
    const unverified = await ctl(
      "--cert",
      join(dir, "operator.crt"),
      "--key",
      join(dir, "operator.key"),
      "cmd",
      "agent/ping",
    );
    expect(unverified.code).toBe(5);
    expect(unverified.stderr).toMatch(/certificate/i);
  }, 30_000);
});
