/**
 * `/metrics`, `/healthz` and `/readyz` from the running agent on the simulated bench, over real
 * HTTP: the exposition is valid line by line, g2(0) is what `measurement/hbt` published, the
 * cryostat's temperature what its telemetry says, an open door an active alarm; health and
 * readiness answer 200, unknown paths 404, other methods 405.
 */
import { describe, expect, it } from "vitest";
import { benchPerTest } from "../helpers/agent-bench.js";
import { freePort } from "../helpers/processes.js";
import { parseExposition } from "../helpers/prometheus.js";

describe("metrics over HTTP", () => {
  const runBench = benchPerTest();

  it("serves the bench's numbers as Prometheus text, and answers health and readiness", async () => {
    const port = await freePort();
    const running = await runBench("metrics", {
      metrics: { enabled: true, port },
      "correlation.integrationS": 2,
    });
    const { sim, sub, root } = running;
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    await sub.waitFor((m) => m.topic === `${root}/measurement/hbt`, 20_000);
    const temperature = await sub.waitFor(
      (m) => m.topic === `${root}/telemetry/cryostat` && m.payload.state === "ok",
    );
    sim.bench.inject({ fault: "door-open" });
    await sub.waitFor((m) => m.topic === `${root}/alarm/interlock-door` && m.payload.active === true, 5000);
    const response = await fetch(url("/metrics"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const m = parseExposition(await response.text());
    // One of the periods published: the scrape may have come just before the subscriber got the newest.
    await new Promise((r) => setTimeout(r, 300));
    const published = sub.messages
      .filter((x) => x.topic === `${root}/measurement/hbt`)
      .map((x) => (x.payload.g2 as { g2Zero: number }).g2Zero);
    expect(published.length).toBeGreaterThan(0);
    expect(published).toContain(m.get('photon_bench_g2_zero{histogram="hbt"}'));
    const sampleK = (temperature.payload.values as Record<string, number>).sampleTempK!;
    expect(m.get('photon_bench_device_reading{device="cryostat",reading="sampleTempK"}')).toBeCloseTo(
      sampleK,
      1,
    );
    expect(m.get('photon_bench_alarm_active{alarm="interlock-door",severity="critical"}')).toBe(1);
    expect(m.get('photon_bench_device_up{device="laser",type="obis-laser"}')).toBe(1);
    expect(m.get("photon_bench_agent_uptime_s")).toBeGreaterThanOrEqual(0);
    expect(m.has('photon_bench_device_reading{device="interlocks",reading="lastTickLagMs"}')).toBe(true);
    expect(m.has('photon_bench_event_loop_delay_seconds{quantile="0.99"}')).toBe(true);

    expect(await (await fetch(url("/healthz"))).json()).toEqual({ status: "ok", why: [] });
    const ready = await fetch(url("/readyz"));
    expect(ready.status).toBe(200);
    expect((await fetch(url("/nothing"))).status).toBe(404);
    expect((await fetch(url("/metrics"), { method: "POST" })).status).toBe(405);
  }, 40_000);
});
