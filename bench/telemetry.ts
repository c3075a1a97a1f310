/**
 * Telemetry throughput to a real Mosquitto, JSON alone (the baseline) and JSON with Sparkplug B
 * on, in the same command. A child process is the agent's publishing side — the event bus, the
 * MQTT service with its durable outbox, and the Sparkplug edge node — fed TELEMETRY_BENCH_EPS
 * telemetry events a second (20 devices, 8 readings each, every reading moving past its
 * deadband); this process subscribes to everything and measures what arrives: messages a second,
 * the latency from the event to its arrival (p50, p99; the JSON side includes the outbox's
 * batched fsync, `mqtt.outbox.flushMs`), the broker's acknowledgement time of the JSON publishes
 * (handed to the client → PUBACK, p99, the agent's own `mqttPublishAckP99Ms`), and the child's
 * peak RSS. One JSON line per mode, then
 * the ratios against the baseline. Targets (issue 13): ≥ 5,000 msg/s, p99 < 50 ms, RSS < 100 MB.
 *
 *   node dist/bench/telemetry.js           (make bench runs it; needs mosquitto installed)
 *   TELEMETRY_BENCH_NODE_FLAGS=--optimize-for-size node dist/bench/telemetry.js   (V8 flags for the child)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import pino from "pino";
import { EventBus } from "../agent/events.js";
import { MqttService } from "../agent/mqtt/mqtt-service.js";
import { decodePayload } from "../agent/sparkplug/codec.js";
import { SparkplugService } from "../agent/sparkplug/sparkplug-service.js";
import { loadConfig } from "../config/load.js";
import { freePort } from "./lib/net.js";

const EVENTS_PER_S = Number(process.env.TELEMETRY_BENCH_EPS ?? 3000);
const SECONDS = Number(process.env.TELEMETRY_BENCH_S ?? 10);
const DEVICES = 20;
const CHILD_FLAGS = (process.env.TELEMETRY_BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
const BENCH_ID = "bench-telemetry";
/** Mosquitto's set_tcp_nodelay (default here: true; "false" shows what the broker's default costs). */
const NODELAY = process.env.TELEMETRY_BENCH_NODELAY !== "false";
const MOSQUITTO = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].find((p) => existsSync(p));

/** The child: the agent's publishing side under a synthetic load; prints its counts and peak RSS. */
async function publisher(url: string, sparkplug: boolean): Promise<void> {
  const logger = pino({ level: "silent" });
  const { config } = loadConfig({
    file: "config/examples/sim-bench.yaml",
    overrides: { "mqtt.broker": url },
    env: process.env,
  });
  const stateDir = mkdtempSync(join(tmpdir(), "photon-bench-telemetry-bench-"));
  const bus = new EventBus(logger);
  const mqttService = new MqttService({
    settings: config.mqtt,
    benchId: BENCH_ID,
    brokerUrl: () => url,
    bus,
    backend: () => "sim",
    stateDir,
    startedAt: new Date().toISOString(),
    takeover: true,
    logger,
  });
  const edge = new SparkplugService({
    settings: { ...config.sparkplug, enabled: true },
    benchId: BENCH_ID,
    connection: () => ({
      url,
      clientId: `${BENCH_ID}-sparkplug`,
      keepaliveS: 15,
      reconnect: config.mqtt.reconnect,
    }),
    bus,
    dir: join(stateDir, "sparkplug"),
    request: async () => ({ transaction: null, status: "ok" }),
    safety: () => config.safety,
    backend: () => "sim",
    logger,
  });
  const services = [
    mqttService,
    ...(sparkplug ? [edge] : []),
    mqttService.announcer,
    ...(sparkplug ? [edge.announcer] : []),
  ];
  for (const s of services) await s.start();
  await mqttService.connectedWithin(5000);
  await new Promise((r) => setTimeout(r, 500));
  const idleRssMb = process.memoryUsage().rss / 2 ** 20;
  process.stdout.write("ready\n");
  const values = Array.from({ length: DEVICES }, () => Array.from({ length: 8 }, () => 1 + Math.random()));
  let seq = 0;
  let emitted = 0;
  const tickMs = 10;
  const perTick = (EVENTS_PER_S * tickMs) / 1000;
  let owed = 0;
  const timer = setInterval(() => {
    owed += perTick;
    for (; owed >= 1; owed--) {
      const d = emitted++ % DEVICES;
      const row = values[d]!;
      for (let k = 0; k < row.length; k++) row[k] = row[k]! * (Math.random() < 0.5 ? 1.02 : 0.98);
      bus.emit("telemetry", {
        ts: new Date().toISOString(),
        seq: ++seq,
        device: `device${d}`,
        type: "synthetic",
        state: "ok",
        values: Object.fromEntries(row.map((v, k) => [`reading${k}Mw`, v])),
      });
    }
  }, tickMs);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 1000));
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  for (const s of services.reverse()) await s.stop();
  process.stdout.write(
    `${JSON.stringify({ emitted, peakRssMb, idleRssMb, heapMb: process.memoryUsage().heapTotal / 2 ** 20, ...mqttService.health(), ...edge.health() })}\n`,
  );
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

async function run(url: string, sparkplug: boolean) {
  const received = { json: [] as number[], sparkplug: [] as number[] };
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  let measuring = false;
  client.on("message", (topic, payload) => {
    if (!measuring) return;
    const now = Date.now();
    if (topic.startsWith("spBv1.0/")) {
      if (!topic.includes("/DDATA/")) return;
      const sent = decodePayload(payload).metrics[0]?.timestamp;
      if (sent !== undefined) received.sparkplug.push(now - sent);
    } else received.json.push(now - Date.parse((JSON.parse(payload.toString()) as { ts: string }).ts));
  });
  await client.subscribeAsync([`photon-bench/${BENCH_ID}/telemetry/#`, "spBv1.0/#"], { qos: 1 });
  const child: ChildProcess = spawn(
    process.execPath,
    [...CHILD_FLAGS, process.argv[1]!, "--publisher", url, String(sparkplug)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  const ready = new Promise<void>((resolve) =>
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready\n")) resolve();
    }),
  );
  const exited = new Promise((r) => child.once("exit", r));
  await ready;
  measuring = true;
  await exited;
  measuring = false;
  await client.endAsync();
  const report = JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, number>;
  const all = [...received.json, ...received.sparkplug].sort((a, b) => a - b);
  const sortedJson = [...received.json].sort((a, b) => a - b);
  const sortedSpb = [...received.sparkplug].sort((a, b) => a - b);
  return {
    bench: "telemetry",
    mode: sparkplug ? "json+sparkplug" : "json",
    offeredEventsPerS: EVENTS_PER_S,
    seconds: SECONDS,
    messagesPerS: Math.round(all.length / SECONDS),
    jsonMessages: received.json.length,
    sparkplugMessages: received.sparkplug.length,
    p50Ms: quantile(all, 0.5),
    p99Ms: quantile(all, 0.99),
    jsonP99Ms: quantile(sortedJson, 0.99),
    sparkplugP99Ms: quantile(sortedSpb, 0.99),
    peakRssMb: Number(report.peakRssMb!.toFixed(1)),
    idleRssMb: Number(report.idleRssMb!.toFixed(1)),
    heapMb: Number(report.heapMb!.toFixed(1)),
    publishAckP99Ms: report.mqttPublishAckP99Ms,
    eventsEmitted: report.emitted,
    outboxDropped: report.outboxDropped,
  };
}

async function main(): Promise<void> {
  if (!MOSQUITTO) {
    process.stdout.write(
      `${JSON.stringify({ bench: "telemetry", skipped: "mosquitto is not installed" })}\n`,
    );
    return;
  }
  const port = await freePort();
  // Without set_tcp_nodelay, Mosquitto holds small packets to subscribers for the peer's delayed ACK (~40 ms).
  const conf = join(mkdtempSync(join(tmpdir(), "photon-bench-mosquitto-")), "mosquitto.conf");
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay ${NODELAY}\n`);
  const broker = spawn(MOSQUITTO, ["-c", conf], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
  const url = `mqtt://127.0.0.1:${port}`;
  try {
    const baseline = await run(url, false);
    process.stdout.write(`${JSON.stringify(baseline)}\n`);
    const both = await run(url, true);
    process.stdout.write(`${JSON.stringify(both)}\n`);
    process.stdout.write(
      `${JSON.stringify({
        bench: "telemetry",
        ratioMessagesPerS: Number((both.messagesPerS / baseline.messagesPerS).toFixed(2)),
        ratioP99: Number((both.p99Ms / baseline.p99Ms).toFixed(2)),
        ratioPeakRss: Number((both.peakRssMb / baseline.peakRssMb).toFixed(2)),
        targets: { messagesPerS: 5000, p99Ms: 50, peakRssMb: 100 },
      })}\n`,
    );
  } finally {
    broker.kill("SIGTERM");
  }
}

if (process.argv[2] === "--publisher") await publisher(process.argv[3]!, process.argv[4] === "true");
else await main();
