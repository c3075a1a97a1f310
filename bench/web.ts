/**
 * What the web view costs the agent, and whether a page keeps up (make bench):
 *  - the agent (the built CLI on the simulated bench, telemetry at 10 Hz, the aligner's state at
 *    10 Hz, a g2 histogram every second) runs alone and with 3 pages open, in alternating
 *    phases of WEB_BENCH_S seconds (ABBA order); its CPU share (user + system time over wall
 *    time, from /proc) in each, and the ratio, in one command;
 *  - the delay from a reading's timestamp to its arrival in an update frame (p50, p99);
 *  - a page's JavaScript heap after garbage collection every 30 s over WEB_BENCH_SOAK_S of 10
 *    updates a second, with `web.historyS` at 60 s so that the time series reach their 900-point
 *    caps within the soak (telemetry and the aligner at 10 Hz: 90 s): it should level off there.
 * The pages are headless Chromium (playwright-core, /usr/bin/chromium); without it, 3 plain
 * Server-Sent Events readers, and `pages` says so. One JSON line.
 *
 *   node dist/bench/web.js        (WEB_BENCH_ROUNDS=4 WEB_BENCH_S=10 WEB_BENCH_SOAK_S=150)
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, readEvents } from "./lib/net.js";

const ROUNDS = Number(process.env.WEB_BENCH_ROUNDS ?? 4);
const PHASE_S = Number(process.env.WEB_BENCH_S ?? 10);
const SOAK_S = Number(process.env.WEB_BENCH_SOAK_S ?? 150);
const HEAP_EVERY_S = 30;
const PAGES = 3;
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const TICKS_PER_S = 100; // USER_HZ on Linux

const sleep = (s: number) => new Promise((resolve) => setTimeout(resolve, s * 1000));

/** The process's user + system CPU time, s. */
function cpuS(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

async function cpuShare(pid: number, seconds: number): Promise<number> {
  const c0 = cpuS(pid);
  const t0 = performance.now();
  await sleep(seconds);
  return (cpuS(pid) - c0) / ((performance.now() - t0) / 1000);
}

interface Pages {
  kind: string;
  close(): Promise<void>;
  /** One page's JS heap after a garbage collection, MB (Chromium only). */
  heapMb?(): Promise<number>;
}

/** Reads update frames like a page, noting each reading's delay from its timestamp. */
async function sseReader(url: string, delaysMs: number[] | undefined): Promise<() => void> {
  const { close } = await readEvents(`${url}events`, (event, frame) => {
    if (!delaysMs || event !== "update") return;
    const now = Date.now();
    for (const [key, v] of Object.entries(frame.latest as Record<string, { ts?: string } | null>))
      if (key.startsWith("telemetry/") && v?.ts) delaysMs.push(now - Date.parse(v.ts));
  });
  return close;
}

async function openPages(url: string): Promise<Pages> {
  if (CHROMIUM) {
    try {
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
        ],
      });
      const pages = await Promise.all(Array.from({ length: PAGES }, () => browser.newPage()));
      await Promise.all(pages.map((p) => p.goto(url)));
      const cdp = await pages[0]!.context().newCDPSession(pages[0]!);
      return {
        kind: "chromium",
        close: () => browser.close(),
        heapMb: async () => {
          await cdp.send("HeapProfiler.collectGarbage");
          const { usedSize } = await cdp.send("Runtime.getHeapUsage");
          return usedSize / 1e6;
        },
      };
    } catch (err) {
      process.stderr.write(
        `bench/web: Chromium did not start (${(err as Error).message}); SSE readers instead\n`,
      );
    }
  }
  const closers = await Promise.all(Array.from({ length: PAGES }, () => sseReader(url, undefined)));
  return {
    kind: "sse-readers",
    close: async () => {
      for (const c of closers) c();
    },
  };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number, digits = 4) => Number(x.toFixed(digits));

async function main(): Promise<void> {
  const [mqttPort, webPort] = [await freePort(), await freePort()];
  const agent = spawn(
    process.execPath,
    [
      "dist/agent/cli.js",
      "run",
      "--config",
      "config/examples/sim-bench.yaml",
      "--state-dir",
      mkdtempSync(join(tmpdir(), "bench-web-")),
    ],
    {
      env: {
        ...process.env,
        PHOTON_BENCH_LOG_LEVEL: "warn",
        PHOTON_BENCH_MQTT__EMBEDDED__PORT: String(mqttPort),
        PHOTON_BENCH_WEB__PORT: String(webPort),
        PHOTON_BENCH_LOOPS__TELEMETRY__PERIOD_MS: "100",
        PHOTON_BENCH_ALIGNMENT__PUBLISH_EVERY_S: "0.1",
        PHOTON_BENCH_CORRELATION__INTEGRATION_S: "1",
        PHOTON_BENCH_WEB__HISTORY_S: "60",
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  agent.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const deadline = Date.now() + 30_000;
  while (!/see it: {2}(\S+)/.test(stderr)) {
    if (Date.now() > deadline || agent.exitCode !== null)
      throw new Error(`the agent did not start:\n${stderr}`);
    await sleep(0.2);
  }
  const url = /see it: {2}(\S+)/.exec(stderr)![1]!;
  try {
    await sleep(15); // start-up: the aligner's first peak, the first periods, the JIT
    const none: number[] = [];
    const three: number[] = [];
    const delaysMs: number[] = [];
    let kind = "";
    const withPages = async () => {
      const pages = await openPages(url);
      kind = pages.kind;
      const stopReading = await sseReader(url, delaysMs);
      await sleep(2); // the snapshots sent
      three.push(await cpuShare(agent.pid!, PHASE_S));
      stopReading();
      await pages.close();
    };
    // ABBA: none first in even rounds, pages first in odd ones, so a drift of the agent's own
    // load (its first minutes) does not favour either side.
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 1) await withPages();
      none.push(await cpuShare(agent.pid!, PHASE_S));
      if (r % 2 === 0) await withPages();
    }
    const soak = await openPages(url);
    const heapMb: Record<string, number> = {};
    for (let t = 0; soak.heapMb && t <= SOAK_S; t += HEAP_EVERY_S) {
      heapMb[`${t}s`] = round(await soak.heapMb(), 2);
      if (t + HEAP_EVERY_S <= SOAK_S) await sleep(HEAP_EVERY_S);
    }
    await soak.close();
    console.log(
      JSON.stringify({
        bench: "web",
        pages: `${PAGES} ${kind}`,
        rounds: ROUNDS,
        phaseS: PHASE_S,
        agentCpuShareNoPages: round(mean(none)),
        agentCpuShare3Pages: round(mean(three)),
        ratio3PagesVsNone: round(mean(three) / mean(none), 3),
        addedCpuSharePerPage: round((mean(three) - mean(none)) / PAGES),
        byRound: none.map((n, i) => ({ none: round(n), pages: round(three[i]!) })),
        updateDelayMsP50: quantile(delaysMs, 0.5),
        updateDelayMsP99: quantile(delaysMs, 0.99),
        readingsTimed: delaysMs.length,
        ...(Object.keys(heapMb).length > 0 ? { soakS: SOAK_S, pageHeapMbAfterGc: heapMb } : {}),
      }),
    );
  } finally {
    agent.kill("SIGTERM");
  }
}

await main();
