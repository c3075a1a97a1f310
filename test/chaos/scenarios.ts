/**
 * The chaos scenarios: each injects one fault into a running agent on the simulated bench (real
 * Mosquitto, real processes, real files) and reports how the bench came out of it. `quick` ones
 * also run in `make test`; `make chaos` runs them all.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  drovesSafe,
  runAgent,
  type Scenario,
  seconds,
  simFaults,
  stopAgent,
  values,
  Watcher,
  withBench,
} from "./harness.js";

function brokerOutage(name: string, outageS: number, quick: boolean): Scenario {
  return {
    name,
    quick,
    alarm: "broker-connection",
    run: (broker) =>
      withBench(broker, name, {}, async (watch) => {
        await watch.telemetry("interlocks");
        const downAt = Date.now();
        await broker.stop();
        await sleep(outageS * 1000);
        await broker.start();
        const upAt = Date.now();
        // Live again: a sample taken after the broker returned (the journal keeps order, so the
        // outage's messages are in before it).
        await watch.waitFor(
          "live telemetry after the outage",
          (m) => m.topic === "telemetry/interlocks" && Date.parse(String(m.payload.ts)) > upAt + 500,
          30_000,
        );
        const cleared = await watch.alarm("broker-connection", false, 10_000);
        // The interlock loop kept its tick through the outage: its telemetry from then was held and replayed.
        const during = watch.messages.filter((m) => {
          const ts = Date.parse(String(m.payload.ts));
          return m.topic === "telemetry/interlocks" && ts > downAt && ts < upAt;
        });
        return {
          safeState: during.length >= outageS * 2 && during.every((m) => values(m).doorTripped === false),
          alarms: watch.alarmsRaised(),
          recoveredS: seconds(upAt, cleared.atMs),
          detail: `${during.length} interlock samples from the outage replayed`,
        };
      }),
  };
}

const agentKilled: Scenario = {
  name: "agent-sigkill-restart",
  quick: true,
  alarm: null,
  async run(broker) {
    const benchId = "agent-sigkill-restart";
    const watch = await Watcher.open(broker.url, benchId);
    const first = runAgent(broker, benchId);
    try {
      await watch.telemetry("cryostat");
      await sleep(1500); // mid-write: the journal takes a batch every 200 ms
      first.child.kill("SIGKILL");
      await first.exit;
      await watch.waitFor("the will", (m) => m.topic === "status" && m.payload.state === "offline");
      const killedAt = Date.now();
      const second = runAgent(broker, benchId, { stateDir: first.stateDir });
      const online = await watch.waitFor(
        "online again",
        (m) => m.topic === "status" && m.payload.state === "online" && m.payload.pid === second.child.pid,
        20_000,
      );
      await watch.telemetry("interlocks");
      const exit = await stopAgent(second);
      await sleep(300);
      return {
        scenario: benchId,
        safeState: exit === 0 && drovesSafe(second),
        alarms: watch.alarmsRaised(),
        lostMessages: watch.lostMessages(),
        recoveredS: seconds(killedAt, online.atMs),
      };
    } finally {
      first.child.kill("SIGKILL");
      await watch.close();
    }
  },
};

/** The start-up's milestones in the agent's debug log, in order. */
const MILESTONES = [
  "photon-bench starting",
  '"service":"mqtt"',
  '"service":"config"',
  "simulated bench running",
  '"service":"devices"',
  '"service":"interlocks"',
  '"service":"telemetry"',
  '"service":"correlation"',
  '"service":"alignment"',
  "agent running",
];

/** SIGTERM as each milestone appears: exit 0, and the safe state driven once a device was built. */
function sigtermDuringStartup(milestones: string[], quick: boolean): Scenario {
  const name = `sigterm-during-startup-${milestones.length}`;
  return {
    name,
    quick,
    alarm: null,
    async run(broker) {
      const outcomes: string[] = [];
      let safe = true;
      for (const [i, milestone] of milestones.entries()) {
        const agent = runAgent(broker, `sigterm-startup-${i}`, { args: ["--log-level", "debug"] });
        const deadline = Date.now() + 20_000;
        while (!agent.stdout().includes(milestone) && Date.now() < deadline)
          await new Promise((r) => setImmediate(r));
        const exit = await stopAgent(agent);
        const touched = agent.stdout().includes("simulated bench running");
        const ok = exit === 0 && (!touched || drovesSafe(agent));
        safe &&= ok;
        outcomes.push(`${milestone.replaceAll('"', "")}→${exit}${touched ? " safe" : ""}`);
      }
      return {
        scenario: name,
        safeState: safe,
        alarms: [],
        lostMessages: 0,
        recoveredS: null,
        detail: outcomes.join(", "),
      };
    },
  };
}

/** A device fault from the sim's schedule: the alarm it must raise and clear. */
function deviceFault(
  name: string,
  fault: Record<string, string | number>,
  alarm: string,
  quick: boolean,
): Scenario {
  return {
    name,
    quick,
    alarm,
    run: (broker) =>
      withBench(broker, name, { env: simFaults([{ atS: 3, ...fault }]) }, async (watch) => {
        const raised = await watch.alarm(alarm, true, 20_000);
        const cleared = await watch.alarm(alarm, false, 30_000);
        const interlocks = await watch.telemetry("interlocks");
        return {
          safeState: Object.entries(values(interlocks)).every(
            ([k, v]) => !k.endsWith("Tripped") || v === false,
          ),
          alarms: watch.alarmsRaised(),
          recoveredS: seconds(raised.atMs + Number(fault.durationS) * 1000, cleared.atMs),
        };
      }),
  };
}

const doorOpen: Scenario = {
  name: "door-open",
  quick: true,
  alarm: "interlock-door",
  run: (broker) =>
    withBench(
      broker,
      "door-open",
      { env: simFaults([{ atS: 3, fault: "door-open", durationS: 1 }]) },
      async (watch) => {
        const raised = await watch.alarm("interlock-door", true, 20_000);
        const from = watch.messages.indexOf(raised);
        await watch.waitFor(
          "the laser's permit dropped",
          (m) =>
            m.topic === "telemetry/laser" &&
            values(m).interlockPermit === false &&
            values(m).emission === false,
          10_000,
          from,
        );
        const opened = await watch.waitFor(
          "the door seen open",
          (m) => m.topic === "telemetry/door" && values(m).tripped === true,
          10_000,
          from,
        );
        await watch.waitFor(
          "the door closed",
          (m) => m.topic === "telemetry/door" && values(m).tripped === false,
          10_000,
          watch.messages.indexOf(opened),
        );
        const closedAt = Date.now();
        // Latched: still tripped until the operator resets it.
        const latched = await watch.telemetry("interlocks");
        const reset = await watch.request("interlock/reset");
        const cleared = await watch.alarm("interlock-door", false, 10_000);
        return {
          safeState: values(latched).doorLatched === true && reset.status === "ok",
          alarms: watch.alarmsRaised(),
          recoveredS: seconds(closedAt, cleared.atMs),
        };
      },
    ),
};

const corruptState: Scenario = {
  name: "corrupt-state-at-start",
  quick: true,
  alarm: "config-state",
  async run(broker) {
    const benchId = "corrupt-state-at-start";
    const stateDir = mkdtempSync(join(tmpdir(), "pb-chaos-corrupt-"));
    mkdirSync(join(stateDir, "outbox"));
    mkdirSync(join(stateDir, "config"));
    writeFileSync(
      join(stateDir, "outbox", "00000001.jsonl"),
      '{"h":1,"base":tr\n\u0000\u0000garbage\n{"m":1,"k":"alarm"',
    );
    writeFileSync(join(stateDir, "config", "history.json"), "{ not json");
    writeFileSync(join(stateDir, "config", "v1.json"), '{"version":1,"overlay":');
    return withBench(broker, benchId, { stateDir }, async (watch, agent) => {
      const online = await watch.waitFor(
        "online",
        (m) => m.topic === "status" && m.payload.state === "online",
      );
      await watch.telemetry("interlocks");
      // Started despite the garbage: how long from the process's start to online.
      return {
        safeState: true,
        alarms: watch.alarmsRaised(),
        recoveredS: seconds(agent.spawnedAtMs, online.atMs),
      };
    });
  },
};

export const SCENARIOS: Scenario[] = [
  brokerOutage("broker-restart", 1, true),
  brokerOutage("broker-down-60s", 60, false),
  agentKilled,
  sigtermDuringStartup([MILESTONES[0]!, MILESTONES[4]!, MILESTONES[9]!], true),
  sigtermDuringStartup(MILESTONES, false),
  deviceFault(
    "instrument-silent",
    { fault: "device-unplugged", device: "cryostat", durationS: 3 },
    "device-cryostat",
    true,
  ),
  deviceFault(
    "garbled-replies",
    { fault: "garbled-reply", device: "laser", durationS: 2 },
    "device-laser",
    true,
  ),
  deviceFault(
    "i2c-nack-storm",
    { fault: "device-unplugged", device: "powerMonitor", durationS: 3 },
    "device-powerMonitor",
    false,
  ),
  doorOpen,
  corruptState,
];
