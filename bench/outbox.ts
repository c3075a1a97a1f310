/**
 * The durable outbox on an SD card: what it writes at the defaults. The agent runs on the
 * simulated bench (config/examples/sim-bench.yaml: telemetry every second, correlation on) with
 * the embedded broker for OUTBOX_BENCH_S seconds; its own counters give the journal's bytes and
 * fsyncs per second. Then the cost of journaling one message: append → fsync → acknowledged, per
 * message, against serialising it alone (the baseline) in the same run. One JSON line.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import pino from "pino";
import { startAgent } from "../agent/main.js";
import { DurableOutbox } from "../agent/mqtt/outbox.js";
import { loadConfig } from "../config/load.js";

const SECONDS = Number(process.env.OUTBOX_BENCH_S ?? 30);
const logger = pino({ level: "silent" });

async function agentWriteRate() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const { config } = loadConfig({
    file: "config/examples/sim-bench.yaml",
    overrides: { "mqtt.embedded": { host: "127.0.0.1", port } },
  });
  const agent = await startAgent(config, {
    logger,
    stateDir: mkdtempSync(join(tmpdir(), "photon-bench-outbox-bench-")),
  });
  const client = await mqtt.connectAsync(agent.brokerUrl, { reconnectPeriod: 0 });
  const health: Array<Record<string, number>> = [];
  let messages = 0;
  let payloadBytes = 0;
  client.on("message", (topic, payload) => {
    if (/\/(telemetry\/|measurement\/|alarm\/|event\/|alignment$)/.test(topic)) {
      messages++;
      payloadBytes += payload.length;
    }
    if (topic.endsWith("/telemetry/agent"))
      health.push((JSON.parse(payload.toString()) as { values: Record<string, number> }).values);
  });
  await client.subscribeAsync(`${agent.topics.root}/#`, { qos: 1 });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const first = health[0]!;
  const last = health[health.length - 1]!;
  const spanS = last.uptimeS! - first.uptimeS!;
  await client.endAsync();
  await agent.stop();
  return {
    telemetryPeriodMs: config.loops.telemetry.periodMs,
    messagesPerS: Math.round(messages / SECONDS),
    payloadBytesPerS: Math.round(payloadBytes / SECONDS),
    journalBytesPerS: Math.round((last.outboxBytesWritten! - first.outboxBytesWritten!) / spanS),
    fsyncsPerS: Number(((last.outboxFsyncs! - first.outboxFsyncs!) / spanS).toFixed(2)),
    journalMiBPerDay: Number(
      ((((last.outboxBytesWritten! - first.outboxBytesWritten!) / spanS) * 86_400) / 2 ** 20).toFixed(1),
    ),
  };
}

/** Append, flush and acknowledge N telemetry-sized messages; the baseline only serialises them. */
async function perMessageCost(n = 20_000) {
  const sample = {
    ts: new Date().toISOString(),
    device: "cryostat",
    type: "lakeshore-335",
    state: "ok",
    values: {
      sampleTempK: 4.012,
      detectorStageTempK: 3.987,
      setpointK: 4,
      heaterPercent: 31.4,
      heaterRange: 2,
    },
  };
  const baselineStart = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) sink += JSON.stringify({ ...sample, seq: i }).length;
  const baselineUs = ((performance.now() - baselineStart) * 1000) / n;
  const outbox = new DurableOutbox(
    {
      dir: mkdtempSync(join(tmpdir(), "photon-bench-outbox-cost-")),
      maxBytes: 2 ** 30,
      flushMs: 200,
      flushBytes: 2 ** 20,
    },
    logger,
    () => {},
    () => {},
  );
  await outbox.open();
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    outbox.append("telemetry", "t/cryostat", sample, false);
    if (i % 1000 === 999) {
      await outbox.flushNow();
      for (const m of [...outbox.ready()]) {
        m.handed = true;
        outbox.acknowledge(m);
      }
    }
  }
  await outbox.flushNow();
  const journalUs = ((performance.now() - started) * 1000) / n;
  await outbox.close();
  return {
    messages: n,
    serialiseOnlyUs: Number(baselineUs.toFixed(2)),
    journalUs: Number(journalUs.toFixed(2)),
    ratioJournalVsSerialise: Number((journalUs / baselineUs).toFixed(1)),
    checksum: sink > 0,
  };
}

const rate = await agentWriteRate();
const cost = await perMessageCost();
process.stdout.write(`${JSON.stringify({ bench: "outbox", seconds: SECONDS, ...rate, perMessage: cost })}\n`);
process.exit(0);
