/**
 * The web view in a real browser (headless Chromium): an operator logged in with a token and a
 * viewer without one look at one simulated bench. What they see is checked against what the
 * agent publishes on MQTT; screenshots of each panel go to test-results/web/ for a person to look at.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countsOf } from "../../agent/correlation/live-engine.js";
import { runBench } from "../helpers/agent-bench.js";
import { findChromium, launchChromium } from "../helpers/browser.js";

const chromiumPath = findChromium();
const OPERATOR = "an-operator-token-for-browser-01";
const SHOTS = "test-results/web";
const PANELS = ["status", "g2", "rates", "cryostat", "aligner", "recording"];
/** What the page keeps on `window` (agent/web/public/app.js), as seen from the tests' side. */
interface PageGlobals {
  photonBench: {
    state: { latest: Map<string, { seq?: number } | undefined> };
    plots: Record<string, { data: ArrayLike<number>[] }>;
  };
  document: { getElementById(id: string): { dataset: Record<string, string | undefined> } | null };
}
/** One step of the stage's 12-bit DAC over its 100 µm travel (sim-bench.yaml), µm. */
const DAC_STEP_UM = 100 / 4095;

describe.skipIf(!chromiumPath)("the web view in Chromium", () => {
  let bench: Awaited<ReturnType<typeof runBench>>;
  let browser: Browser;
  let operator: Page;
  let viewer: Page;
  const problems: string[] = [];

  const watch = (page: Page, who: string) => {
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning")
        problems.push(`${who}: console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`${who}: ${e.message}`));
    return page;
  };

  beforeAll(async () => {
    const tokenFile = join(await mkdtemp(join(tmpdir(), "web-browser-")), "operator");
    writeFileSync(tokenFile, `${OPERATOR}\n`);
    bench = await runBench("web-browser", {
      web: { enabled: true, port: 0, anonymousRole: "viewer", tokens: [{ role: "operator", tokenFile }] },
      "correlation.integrationS": 1,
    });
    browser = await launchChromium(chromiumPath!);
    const url = bench.agent.webUrl!;
    operator = watch(await browser.newPage({ viewport: { width: 1400, height: 1400 } }), "operator");
    await operator.goto(`${url}login?token=${OPERATOR}`);
    viewer = watch(await browser.newPage({ viewport: { width: 1400, height: 1400 } }), "viewer");
    await viewer.goto(url);
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await bench?.sub.close();
    await bench?.agent.stop("test over");
  });

  const state = (page: Page, key: string) =>
    page.evaluate((k) => (globalThis as unknown as PageGlobals).photonBench.state.latest.get(k), key);

  it("loads with no console error, each page with its role, and its readings move", async () => {
    expect(await operator.locator("#role").textContent()).toBe("operator");
    expect(await viewer.locator("#role").textContent()).toBe("viewer");
    await operator.locator("#link.ok").waitFor({ timeout: 10_000 });
    const first = (await state(operator, "telemetry/cryostat")) as {
      seq: number;
      values: { sampleTempK: number };
    };
    expect(first.values.sampleTempK).toBeGreaterThan(3.9);
    expect(first.values.sampleTempK).toBeLessThan(4.1);
    // The shown sample temperature is the latest reading's, and a later reading replaces it.
    await operator.waitForFunction(
      (seq) =>
        ((globalThis as unknown as PageGlobals).photonBench.state.latest.get("telemetry/cryostat")?.seq ??
          0) > seq,
      first.seq,
      { timeout: 10_000 },
    );
    const shown = await operator.locator("#cryostat-now").getAttribute("data-sample-temp-k");
    expect(Number(shown)).toBeGreaterThan(3.9);
    expect(problems).toEqual([]);
  }, 30_000);

  it("plots the histogram MQTT published, with the same g2(0), and trends it", async () => {
    const { sub, root } = bench;
    const zero = operator.locator("#g2-zero");
    await operator.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.getElementById("g2-zero")?.dataset.ts,
      undefined,
      { timeout: 20_000 },
    );
    const ts = await zero.getAttribute("data-ts");
    const published = await sub.waitFor(
      (m) => m.topic === `${root}/measurement/hbt` && m.payload.ts === ts,
      5000,
    );
    const g2 = published.payload.g2 as { g2Zero: number; kind: string };
    const histogram = published.payload.histogram as {
      firstTauPs: number;
      binPs: number;
      countsBase64: string;
    };
    expect(g2.kind).toBe("pulsed");
    expect(Number(await zero.getAttribute("data-value"))).toBe(g2.g2Zero);
    const plotted = await operator.evaluate(() => {
      const { plots } = (globalThis as unknown as PageGlobals).photonBench;
      return {
        g2: plots.g2!.data.map((s) => Array.from(s)),
        trend: plots.g2Trend!.data.map((s) => Array.from(s)),
      };
    });
    // The plot is that period's histogram, bin for bin, at the bins' centres in ns.
    expect(plotted.g2[1]).toEqual(countsOf(histogram.countsBase64));
    expect(plotted.g2[0]![0]).toBeCloseTo((histogram.firstTauPs + histogram.binPs / 2) / 1000, 9);
    // The trend holds that period's g2(0) at its time.
    const at = plotted.trend[0]!.indexOf(Date.parse(ts!) / 1000);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(plotted.trend[1]![at]).toBe(g2.g2Zero);
  }, 40_000);

  it("an operator's acknowledge and reset clear the door's alarm; a viewer sees it with no button", async () => {
    const { sim, sub, root } = bench;
    const from = sub.messages.length;
    sim.bench.inject({ fault: "door-open", durationS: 1 });
    const alarm = operator.locator('li[data-alarm="interlock-door"]');
    await alarm.locator("button", { hasText: "Acknowledge" }).waitFor({ timeout: 10_000 });
    await viewer.locator('li[data-alarm="interlock-door"]').waitFor({ timeout: 10_000 });
    expect(await viewer.locator("button").count()).toBe(0);
    await operator.locator("#panel-status").screenshot({ path: join(SHOTS, "status-alarm-operator.png") });
    await viewer.locator("#panel-status").screenshot({ path: join(SHOTS, "status-alarm-viewer.png") });
    await alarm.locator("button", { hasText: "Acknowledge" }).click();
    const acked = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-door` && m.payload.acknowledged !== undefined,
      5000,
      from,
    );
    expect((acked.payload.acknowledged as { by: string }).by).toMatch(/^web:operator:/);
    await alarm.locator(".acknowledged").waitFor({ timeout: 5000 });
    // The door is shut again after 1 s; the rule stays latched until an operator resets it.
    const reset = operator.locator('tr[data-rule="door"] button', { hasText: "Reset" });
    await reset.waitFor({ timeout: 10_000 });
    await reset.click();
    await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-door` && m.payload.active === false,
      5000,
      from,
    );
    await alarm.waitFor({ state: "detached", timeout: 5000 });
    await viewer.locator('li[data-alarm="interlock-door"]').waitFor({ state: "detached", timeout: 5000 });
    expect(await viewer.locator("button").count()).toBe(0);
    expect(problems).toEqual([]);
  }, 40_000);

  it("jogs the stage by the chosen step, and offers no step beyond the soft limits", async () => {
    const { sim, sub, root } = bench;
    await operator.locator("#aligner-controls button", { hasText: "Stop" }).click();
    await sub.waitFor((m) => m.topic === `${root}/alignment` && m.payload.mode === "idle", 10_000);
    const x = sim.bench.stage.x!;
    const x0 = x.commandedUm;
    await operator.locator('#aligner-controls button[data-axis="x"][data-sign="1"]').click();
    await sub.waitFor(
      (m) =>
        m.topic === `${root}/response/stage/jog` ||
        (m.topic === `${root}/event/audit` && m.payload.verb === "stage/jog"),
      5000,
    );
    expect(Math.abs(x.commandedUm - x0 - 1)).toBeLessThanOrEqual(DAC_STEP_UM);
    // 3 µm from the 95 µm soft limit, a 5 µm step out is not offered; one back in is.
    expect(
      await bench.sub.request(root, "stage/move", { device: "stage", axis: "x", positionUm: 92 }),
    ).toMatchObject({
      status: "ok",
    });
    await operator.locator("#jog-step").selectOption("5");
    const jog = (sign: number) =>
      operator.locator(`#aligner-controls button[data-axis="x"][data-sign="${sign}"]`);
    await expect.poll(() => jog(1).isDisabled(), { timeout: 10_000 }).toBe(true);
    expect(await jog(-1).isDisabled()).toBe(false);
    expect(await jog(1).getAttribute("title")).toBe("beyond the soft limit 5–95 µm");
  }, 30_000);

  it("writes a screenshot of each panel", async () => {
    for (const panel of PANELS)
      await operator.locator(`#panel-${panel}`).screenshot({ path: join(SHOTS, `${panel}.png`) });
    await viewer.screenshot({ path: join(SHOTS, "viewer.png"), fullPage: true });
    expect(problems).toEqual([]);
  }, 30_000);
});
