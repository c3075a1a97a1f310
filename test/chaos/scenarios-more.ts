/**
 * The chaos scenarios that take longer or need more of the machine (make chaos): the cryostat
 * warming after a compressor trip, a knocked fibre, a full disk under the state directory, a
 * second agent with the bench's id, and a flood of hostile requests.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  drovesSafe,
  runAgent,
  type Scenario,
  type Seen,
  seconds,
  simFaults,
  stopAgent,
  values,
  Watcher,
  withBench,
} from "./harness.js";

export const compressorTrip: Scenario = {
  name: "compressor-trip-warm-up",
  quick: false,
  alarm: "interlock-cryostat",
  run: (broker) =>
    withBench(
      broker,
      "compressor-trip-warm-up",
      { env: simFaults([{ atS: 2, fault: "compressor-trip" }]) },
      async (watch) => {
        const raised = await watch.alarm("interlock-cryostat", true, 60_000);
        const from = watch.messages.indexOf(raised);
        const biasOff = await watch.waitFor(
          "both detectors' bias off",
          (m) => m.topic === "telemetry/detectorA" && values(m).biasUa === 0 && values(m).enabled === false,
          10_000,
          from,
        );
        const b = await watch.telemetry("detectorB", 10_000, watch.messages.indexOf(biasOff));
        return {
          safeState: values(b).biasUa === 0,
          alarms: watch.alarmsRaised(),
          recoveredS: null, // the cryostat-recovery runbook restarts it (timed in test/integration/operations.test.ts)
          detail: `tripped ${seconds(watch.messages[0]!.atMs, raised.atMs)} s after start`,
        };
      },
    ),
};

export const fibreKnock: Scenario = {
  name: "fibre-knock",
  quick: false,
  alarm: null,
  run: (broker) =>
    withBench(
      broker,
      "fibre-knock",
      {
        env: {
          ...simFaults([{ atS: 25, fault: "fibre-knock", knockUm: 15 }]),
          PHOTON_BENCH_ALIGNMENT__PUBLISH_EVERY_S: "0.2",
        },
      },
      async (watch) => {
        const mode = (name: string) => (m: Seen) => m.topic === "alignment" && m.payload.mode === name;
        await watch.waitFor("the aligner tracking", mode("track"), 25_000);
        const lost = await watch.waitFor("reacquiring after the knock", mode("reacquire"), 30_000);
        const back = await watch.waitFor(
          "tracking again",
          mode("track"),
          30_000,
          watch.messages.indexOf(lost),
        );
        return {
          safeState: true,
          alarms: watch.alarmsRaised(),
          recoveredS: seconds(lost.atMs, back.atMs),
          detail: `fractionOfPeak ${String(back.payload.fractionOfPeak)} when tracking again`,
        };
      },
    ),
};

/** A 4 MiB tmpfs as the state directory, filled up while the agent runs; skipped where mounting is not allowed. */
export const diskFull: Scenario = {
  name: "disk-full",
  quick: false,
  alarm: "outbox-disk",
  async run(broker) {
    const stateDir = mkdtempSync(join(tmpdir(), "pb-chaos-full-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", stateDir], { stdio: "ignore" });
    } catch {
      return { skipped: "cannot mount a small filesystem here (needs root)" };
    }
    const filler = join(stateDir, "filler");
    try {
      return await withBench(broker, "disk-full", { stateDir }, async (watch) => {
        try {
          writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024));
        } catch {
          // ENOSPC: the disk is full now, as intended
        }
        const raised = await watch.alarm("outbox-disk", true, 20_000);
        // Still running: the interlocks go on being sampled and published (from memory).
        await watch.telemetry("interlocks", 10_000, watch.messages.indexOf(raised) + 1);
        rmSync(filler);
        const freedAt = Date.now();
        const cleared = await watch.alarm("outbox-disk", false, 30_000);
        return { safeState: true, alarms: watch.alarmsRaised(), recoveredS: seconds(freedAt, cleared.atMs) };
      });
    } finally {
      execFileSync("umount", ["-l", stateDir], { stdio: "ignore" });
    }
  },
};

export const duplicateBenchId: Scenario = {
  name: "duplicate-bench-id",
  quick: false,
  // The agent taken over loses its connection to the other's (then stands down).
  alarm: "broker-connection",
  async run(broker) {
    const benchId = "duplicate-bench-id";
    const watch = await Watcher.open(broker.url, benchId);
    const first = runAgent(broker, benchId);
    const taker = { agent: undefined as ReturnType<typeof runAgent> | undefined };
    try {
      await watch.waitFor(
        "the first online",
        (m) => m.topic === "status" && m.payload.pid === first.child.pid,
        20_000,
      );
      const second = runAgent(broker, benchId);
      const refused =
        (await second.exit).code === 1 && second.stderr().includes("another agent already runs");
      const started = Date.now();
      taker.agent = runAgent(broker, benchId, { args: ["--takeover"] });
      const stoodDown = (await first.exit).code === 4 && drovesSafe(first);
      const online = await watch.waitFor(
        "the taker online",
        (m) =>
          m.topic === "status" && m.payload.state === "online" && m.payload.pid === taker.agent!.child.pid,
        20_000,
      );
      const exit = await stopAgent(taker.agent);
      await sleep(300);
      return {
        scenario: benchId,
        safeState: refused && stoodDown && exit === 0,
        alarms: watch.alarmsRaised(),
        lostMessages: 0, // two agents' journals on one topic: seq continuity is per agent's state directory
        recoveredS: seconds(started, online.atMs),
      };
    } finally {
      first.child.kill("SIGKILL");
      taker.agent?.child.kill("SIGKILL");
      await watch.close();
    }
  },
};

/** Garbage of every kind on the request topics; nothing may act, and the agent goes on publishing. */
export function hostileRequests(count: number): Scenario {
  return {
    name: `hostile-requests-${count}`,
    quick: false,
    alarm: null,
    run: (broker) =>
      withBench(broker, `hostile-requests-${count}`, {}, async (watch) => {
        const before = await watch.telemetry("laser");
        const verbs = [
          "laser/emission",
          "laser/power",
          "detector/bias",
          "stage/move",
          "config/push",
          "nope/nope",
          "interlock/reset",
        ];
        const bodies = [
          () => Buffer.from(Array.from({ length: 64 }, () => Math.floor(Math.random() * 256))),
          () => '{"transaction":', // cut short
          () => JSON.stringify({ transaction: "h", on: "yes" }),
          () => JSON.stringify({ transaction: "h", device: "laser", powerMw: 1e9 }),
          () => JSON.stringify({ transaction: "h", device: "detectorA", biasUa: 1000 }),
          () => JSON.stringify({ transaction: "h", device: "stage", xUm: 1e6 }),
          () => JSON.stringify({ transaction: "h", patch: { safety: { laserMaxPowerMw: 1e6 } } }),
          () => "x".repeat(70_000),
        ];
        const startedAt = Date.now();
        for (let i = 0; i < count; i++) {
          const verb = verbs[i % verbs.length]!;
          const body = bodies[Math.floor(i / verbs.length) % bodies.length]!();
          watch.client.publish(`${watch.root}/request/${verb}`, body, { qos: 0 });
          if (i % 200 === 199) await sleep(10);
        }
        const after = await watch.telemetry("laser", 30_000);
        const ping = await watch.request("agent/ping", {}, 30_000);
        return {
          safeState:
            values(after).emission === values(before).emission &&
            // The read-back has ~1 % noise; a request that got through would have set another power.
            Math.abs(Number(values(after).powerMw) - Number(values(before).powerMw)) <=
              0.02 * Math.max(Number(values(before).powerMw), 0.01) &&
            ping.status === "ok",
          detail: `laser emission ${String(values(before).emission)}→${String(values(after).emission)}, ${String(values(before).powerMw)}→${String(values(after).powerMw)} mW`,
          alarms: watch.alarmsRaised(),
          recoveredS: seconds(startedAt, Date.now()),
        };
      }),
  };
}

/** The instrument itself reports the fault (a laser unlock): raised while it lasts, cleared after. */
export const laserUnlock: Scenario = {
  name: "laser-unlock",
  quick: false,
  alarm: "instrument-laser",
  run: (broker) =>
    withBench(
      broker,
      "laser-unlock",
      { env: simFaults([{ atS: 3, fault: "laser-unlock", durationS: 2 }]) },
      async (watch) => {
        const raised = await watch.alarm("instrument-laser", true, 20_000);
        const cleared = await watch.alarm("instrument-laser", false, 20_000);
        return {
          safeState: true,
          alarms: watch.alarmsRaised(),
          recoveredS: seconds(raised.atMs + 2000, cleared.atMs),
          detail: String(raised.payload.message),
        };
      },
    ),
};

/** A latched SNSPD: reported, then recovered by the operator's detector/reset-latch. */
export const detectorLatch: Scenario = {
  name: "detector-latch",
  quick: false,
  alarm: "instrument-detectorA",
  run: (broker) =>
    withBench(
      broker,
      "detector-latch",
      { env: simFaults([{ atS: 3, fault: "detector-latch", device: "detectorA" }]) },
      async (watch) => {
        await watch.alarm("instrument-detectorA", true, 20_000);
        const askedAt = Date.now();
        const reset = await watch.request("detector/reset-latch", { device: "detectorA" });
        const cleared = await watch.alarm("instrument-detectorA", false, 20_000);
        return {
          safeState: reset.status === "ok",
          alarms: watch.alarmsRaised(),
          recoveredS: seconds(askedAt, cleared.atMs),
        };
      },
    ),
};

/** The agent's process stopped (SIGSTOP) for 3 s: nobody watched meanwhile, and it says so. */
export const starved: Scenario = {
  name: "event-loop-starved",
  quick: false,
  alarm: "interlock-tick",
  run: (broker) =>
    withBench(broker, "event-loop-starved", {}, async (watch, agent) => {
      await watch.telemetry("interlocks");
      agent.child.kill("SIGSTOP");
      await sleep(3000);
      agent.child.kill("SIGCONT");
      const resumedAt = Date.now();
      const raised = await watch.alarm("interlock-tick", true, 20_000);
      const cleared = await watch.alarm("interlock-tick", false, 20_000);
      const after = await watch.telemetry("interlocks", 10_000, watch.messages.indexOf(cleared));
      return {
        safeState: values(after).doorTripped === false && Number(values(after).maxTickLagMs) >= 2500,
        alarms: watch.alarmsRaised(),
        recoveredS: seconds(resumedAt, cleared.atMs),
        detail: String(raised.payload.message),
      };
    }),
};

export const MORE_SCENARIOS: Scenario[] = [
  laserUnlock,
  detectorLatch,
  starved,
  compressorTrip,
  fibreKnock,
  diskFull,
  duplicateBenchId,
  hostileRequests(10_000),
];
