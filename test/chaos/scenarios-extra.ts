/**
 * Chaos scenarios on the agent's clock source and its detectors: the wall clock stepped ±1 h in
 * the running agent (through a preloaded shim on `Date`, ./clock-shift.mjs — the machine's clock
 * is never touched), and a detector flooded with stray light.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type Scenario, type Seen, seconds, simFaults, values, withBench } from "./harness.js";

const CLOCK_SHIFT = fileURLToPath(new URL("./clock-shift.mjs", import.meta.url));

/** The wall clock stepped +1 h, then to 1 h behind, then back, 3 s apart: nothing trips, nothing stops, each step is reported. */
export const clockStep: Scenario = {
  name: "clock-step",
  quick: false,
  alarm: "clock-step",
  run(broker) {
    const file = join(mkdtempSync(join(tmpdir(), "pb-chaos-clock-")), "offset-ms");
    writeFileSync(file, "0");
    const env = {
      CHAOS_CLOCK_FILE: file,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${CLOCK_SHIFT}`.trim(),
    };
    return withBench(broker, "clock-step", { env }, async (watch, agent) => {
      await watch.telemetry("interlocks");
      const step = (offsetMs: number) => {
        writeFileSync(file, String(offsetMs));
        agent.child.kill("SIGUSR2");
      };
      const from = watch.messages.length;
      const startedAt = Date.now();
      step(3_600_000);
      const raised = await watch.alarm("clock-step", true, 10_000, from);
      await sleep(3000);
      step(-3_600_000);
      await sleep(3000);
      step(0);
      const backAt = Date.now();
      const next = await watch.telemetry("interlocks", 5000);
      await sleep(2000);
      const since = watch.messages.slice(from);
      const periods = since.filter((m) => m.topic === "telemetry/interlocks");
      const spanS = (Date.now() - startedAt) / 1000;
      const agentSeen = [...since].reverse().find((m: Seen) => m.topic === "telemetry/agent");
      // Ages and ticks run on the monotonic clock: no interlock or device alarm, telemetry every 250 ms throughout.
      const spurious = watch.alarmsRaised(from).filter((a) => a !== "clock-step");
      const steps = agentSeen ? Number(values(agentSeen).clockSteps) : 0;
      return {
        safeState: spurious.length === 0 && periods.length >= (spanS / 0.25) * 0.7 && steps === 3,
        alarms: watch.alarmsRaised(from),
        recoveredS: seconds(backAt, next.atMs),
        detail: `${periods.length} telemetry/interlocks in ${spanS.toFixed(1)} s across the steps; clockSteps ${steps}; ${String(raised.payload.message)}`,
      };
    });
  },
};

/**
 * 1 Mcps of stray light on detectorA against a 0.5 Mcps limit (its own counts are ~63 kcps; the
 * simulated tagger runs in the agent's process, and a 20 Mcps flood against the default 10 Mcps
 * would starve that process of CPU, which a real tagger would not): its bias off, detectorB's
 * kept, the alarm kept until the bias is switched on again.
 */
export const detectorOverBright: Scenario = {
  name: "detector-over-bright",
  quick: false,
  alarm: "over-bright-detectorA",
  run: (broker) =>
    withBench(
      broker,
      "detector-over-bright",
      {
        env: {
          ...simFaults([
            { atS: 4, fault: "detector-over-bright", device: "detectorA", durationS: 4, floodCps: 1e6 },
          ]),
          PHOTON_BENCH_SAFETY__DETECTOR_MAX_CPS: "500000",
        },
      },
      async (watch) => {
        const before = await watch.telemetry("detectorA");
        const biasUa = Number(values(before).biasUa);
        const raised = await watch.alarm("over-bright-detectorA", true, 20_000);
        const off = (m: Seen) =>
          m.topic === "telemetry/detectorA" && Number(values(m).biasUa) < 0.1 && values(m).enabled === false;
        const biasOff = await watch
          .waitFor("detectorA's bias off", off, 10_000, watch.messages.indexOf(raised))
          .then(
            () => true,
            () => false,
          );
        const other = await watch.telemetry("detectorB", 10_000, watch.messages.indexOf(raised) + 1);
        await sleep(5000); // the light goes away
        const askedAt = Date.now();
        const on = await watch.request("detector/bias", { device: "detectorA", on: true, biasUa });
        const cleared = await watch.alarm("over-bright-detectorA", false, 10_000);
        return {
          safeState: biasOff && Number(values(other).biasUa) > 0.1 && on.status === "ok",
          alarms: watch.alarmsRaised(),
          recoveredS: seconds(askedAt, cleared.atMs),
          detail: String(raised.payload.message),
        };
      },
    ),
};

export const EXTRA_SCENARIOS: Scenario[] = [clockStep, detectorOverBright];
