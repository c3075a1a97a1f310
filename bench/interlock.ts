/**
 * Interlock trip reaction: from the door opening to the laser's permit line low — the agent's
 * reaction, the second line of safety after the hardware chain. The door's line is set by a thread
 * of its own (./lib/door-switch-worker.ts) at a random moment, as a real door is opened whatever
 * the agent is doing; its edge reaches the main thread as a kernel's edge interrupt reaches
 * onoff, through the event loop. Both ends are read off the lines (when their levels changed, on
 * the monotonic clock every thread shares). The agent runs on the simulated bench in this
 * process; each trip is reset through the control plane before the next. Measured idle;
 * with every core busy in competing processes and the agent's own live correlation fed
 * 2 × 5 Mcps; and with the main thread stalled 100 ms in every 150 (as a long JSON job, a
 * major GC or a burst of MQTT traffic stall it); first with the permit driven by the main event loop alone (the baseline, as before
 * the interlock guard), then with the interlock guard's thread. One JSON line: p50, p99 and max
 * in ms per condition, and the guard's p99 as a ratio of the baseline's. Target p99 under one
 * tick (50 ms).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { monotonicMs } from "../hal/shared-lines.js";
import { feedTags, startLoadedAgent } from "./lib/loaded-agent.js";

const TRIPS = Number(process.env.INTERLOCK_BENCH_TRIPS ?? 60);
const STALL_MS = 100;
const STALL_EVERY_MS = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(interlockGuard: boolean) {
  const { agent, sim, config } = await startLoadedAgent("interlock", { interlockGuard });
  const permit = agent.devices.lasers.get("laser")?.permitLine?.()?.spec;
  if (permit?.kind !== "memory")
    throw new Error("the simulated laser's permit line is not in the line table");
  const slot = permit.index;
  const door = agent.devices.interlockInputs.get("door")?.sharedLine?.();
  if (!door) throw new Error("the simulated door's line is not in the line table");
  const doorSwitch = new Worker(new URL("./lib/door-switch-worker.js", import.meta.url), {
    workerData: { line: door.line.spec, trippedLevel: door.trippedLevel },
  });
  // The edge interrupt, delivered when the main thread's event loop gets to it (as onoff's is).
  doorSwitch.on("message", () => sim.bench.inject({ fault: "door-open" }));
  const opened = () => new Promise<number>((resolve) => doorSwitch.once("message", resolve));
  let sent = 0;
  const request = (verb: string) =>
    agent.control.request(verb, Buffer.from(JSON.stringify({ transaction: `b${++sent}` })), "bench");

  /** Door opens; the time until the permit line went low, ms. */
  async function trip(): Promise<number> {
    // Timed from a permitted laser: a reset refused would time nothing (permit already low).
    const reset = await request("interlock/reset");
    if (reset.status !== "ok" || sim.lines.read(slot) !== 1)
      throw new Error(
        `interlock/reset did not restore the permit: ${JSON.stringify(reset.error ?? reset.data)}`,
      );
    const openedAt = opened();
    doorSwitch.postMessage("open");
    const t0 = await openedAt;
    while (sim.lines.read(slot) === 1) {
      if (monotonicMs() - t0 > 5000) throw new Error("no trip within 5 s");
      await new Promise((r) => setImmediate(r));
    }
    const ms = sim.lines.changedAtMs(slot) - t0;
    sim.bench.doorOpen = false;
    await sleep(60 + Math.random() * 40); // the door shut again, at a random phase of the tick
    return ms;
  }

  async function measure() {
    const times: number[] = [];
    for (let i = 0; i < TRIPS; i++) times.push(await trip());
    const sorted = [...times].sort((a, b) => a - b);
    const at = (p: number) =>
      Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2));
    return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
  }

  await sleep(500);
  const idle = await measure();
  // Every core busy in other processes, and the live correlator at 2 × 5 Mcps in this one.
  const burners: ChildProcess[] = [];
  for (let i = 0; i < availableParallelism(); i++)
    burners.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
  const feeder = feedTags(agent);
  await sleep(1000);
  const busy = await measure();
  const liveCorrelationTagsPerS = feeder.offeredTagsPerS();
  feeder.stop();
  for (const b of burners) b.kill("SIGKILL");
  const stall = setInterval(() => {
    const until = performance.now() + STALL_MS;
    while (performance.now() < until); // the main thread does nothing else meanwhile
  }, STALL_EVERY_MS);
  const stalled = await measure();
  clearInterval(stall);
  await agent.stop("bench over");
  await doorSwitch.terminate();
  return {
    result: {
      idle,
      busy: { ...busy, competingProcesses: burners.length, liveCorrelationTagsPerS },
      mainThreadStalled: { ...stalled, stallMs: STALL_MS, everyMs: STALL_EVERY_MS },
    },
    tickMs: config.loops.interlocks.periodMs,
  };
}

const baseline = await run(false);
const guard = await run(true);
const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
console.log(
  JSON.stringify({
    bench: "interlock-trip-reaction",
    trips: TRIPS,
    tickMs: guard.tickMs,
    mainLoopOnly: baseline.result,
    interlockGuard: guard.result,
    guardVsMainLoopP99: {
      idle: ratio(guard.result.idle.p99Ms, baseline.result.idle.p99Ms),
      busy: ratio(guard.result.busy.p99Ms, baseline.result.busy.p99Ms),
      mainThreadStalled: ratio(guard.result.mainThreadStalled.p99Ms, baseline.result.mainThreadStalled.p99Ms),
    },
    targetP99Ms: guard.tickMs,
  }),
);
