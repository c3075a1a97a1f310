/**
 * Control-plane latency: request → response over MQTT (the embedded broker, an MQTT 3.1.1
 * client as `ctl` is), with the agent on the simulated bench in this process. Two verbs:
 * `agent/ping` (no hardware) and `laser/power` (a serial round trip to the simulated OBIS).
 * Measured idle, then with the agent's live correlator fed 2 × 5 Mcps (±500 ns, 1 ns bins) in
 * real time through its own event bus, as a tagger would feed it. One JSON line: p50 and p99 in
 * ms for each, the ratio loaded/idle of the p99, the tags correlated meanwhile. Target: p99 under
 * 100 ms on this machine.
 */
import mqtt from "mqtt";
import { sendImmediately } from "../agent/mqtt/connection.js";
import { feedTags, startLoadedAgent } from "./lib/loaded-agent.js";

const REQUESTS = Number(process.env.CONTROL_BENCH_REQUESTS ?? 400);

const { agent } = await startLoadedAgent("control");
const root = agent.topics.root;
const client = await mqtt.connectAsync(agent.brokerUrl, { protocolVersion: 4, reconnectPeriod: 0 });
sendImmediately(client);
const waiting = new Map<string, () => void>();
let refused = 0;
client.on("message", (_topic, payload) => {
  const answer = JSON.parse(payload.toString()) as { transaction: string; status: string };
  // Only answered-and-done requests count: a refusal (busy, limit) would time a shortcut.
  if (answer.status !== "ok") refused++;
  waiting.get(answer.transaction)?.();
});
await client.subscribeAsync(`${root}/response/#`, { qos: 1 });

let sent = 0;
async function roundTripMs(verb: string, args: object): Promise<number> {
  const transaction = `bench-${++sent}`;
  const answered = new Promise<void>((resolve) => waiting.set(transaction, resolve));
  const started = performance.now();
  await client.publishAsync(`${root}/request/${verb}`, JSON.stringify({ transaction, ...args }), { qos: 1 });
  await answered;
  waiting.delete(transaction);
  return performance.now() - started;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(2));
};

async function measure() {
  const ping: number[] = [];
  const power: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    ping.push(await roundTripMs("agent/ping", {}));
    power.push(await roundTripMs("laser/power", { powerMw: 2 + (i % 3) }));
  }
  return {
    pingP50Ms: percentile(ping, 50),
    pingP99Ms: percentile(ping, 99),
    laserPowerP50Ms: percentile(power, 50),
    laserPowerP99Ms: percentile(power, 99),
  };
}

await measure(); // warm-up
const idle = await measure();

// Full live correlation: 10 M tags/s of wall time into the agent's bus, in 10 ms slices.
let measurements = 0;
agent.bus.on("measurement", () => measurements++);
const feeder = feedTags(agent);
await new Promise((r) => setTimeout(r, 1500));
const loaded = await measure();
const offeredTagsPerS = feeder.offeredTagsPerS();
feeder.stop();

if (refused > 0)
  throw new Error(`${refused} requests were refused: the latencies would not be those of the work`);
console.log(
  JSON.stringify({
    bench: "control-request-response",
    requestsPerVerb: REQUESTS,
    idle,
    underLoad: loaded,
    offeredTagsPerS,
    measurementsWhileLoaded: measurements,
    p99RatioLoadedOverIdle: Number((loaded.laserPowerP99Ms / idle.laserPowerP99Ms).toFixed(2)),
    targetP99Ms: 100,
  }),
);
await client.endAsync(true);
await agent.stop("bench over");
