import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { benchPerTest } from "../helpers/agent-bench.js";
import { freePort } from "../helpers/processes.js";
import { openStream } from "../helpers/sse.js";

const OPERATOR = "an-operator-token-for-tests-0001";

async function operatorTokenFile() {
  const file = join(await mkdtemp(join(tmpdir(), "web-token-")), "operator");
  writeFileSync(file, `${OPERATOR}\n`);
  return file;
}

describe("the web view over HTTP", () => {
  const runBench = benchPerTest();

  it("serves the page and uPlot from the package, then a snapshot and live updates of the bench's readings", async () => {
    const { agent } = await runBench("web-http");
    const url = agent.webUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/app.js"></script>');
    const uplot = await fetch(new URL("/vendor/uplot.js", url));
    expect(uplot.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await uplot.text()).length).toBeGreaterThan(20_000);
    // Files are served from memory by exact name: no path from a URL reaches the file system.
    expect((await fetch(`${url}%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
    expect((await fetch(new URL("/nothing-here", url))).status).toBe(404);
    expect(await (await fetch(new URL("/api/session", url))).json()).toEqual({ role: "operator" });

    const stream = await openStream(new URL("/events", url).href);
    const snapshot = (await stream.waitFor((e) => e.event === "snapshot")).data as {
      role: string;
      setup: { benchId: string };
      latest: Record<string, { seq: number; values: Record<string, number> }>;
    };
    expect(snapshot.role).toBe("operator");
    expect(snapshot.setup.benchId).toBe("web-http");
    // The simulated cryostat holds the sample at its 4 K set-point (BENCH-PHYSICS: ±10 mK).
    const first = await stream.waitFor(
      (e) => e.event === "update" && "telemetry/cryostat" in (e.data.latest as object),
    );
    const reading = (first.data.latest as Record<string, { seq: number; values: { sampleTempK: number } }>)[
      "telemetry/cryostat"
    ]!;
    expect(reading.values.sampleTempK).toBeGreaterThan(3.9);
    expect(reading.values.sampleTempK).toBeLessThan(4.1);
    const later = await stream.waitFor(
      (e) =>
        e.event === "update" &&
        ((e.data.latest as Record<string, { seq?: number }>)["telemetry/cryostat"]?.seq ?? 0) > reading.seq,
    );
    expect(later).toBeDefined();
    stream.close();
  }, 30_000);

  it("commands: a viewer is refused and nothing changes; an operator's go through the control plane, audited", async () => {
    const tokenFile = await operatorTokenFile();
    const { agent, sim, sub, root } = await runBench("web-cmd", {
      web: { enabled: true, port: 0, anonymousRole: "viewer", tokens: [{ role: "operator", tokenFile }] },
    });
    const url = agent.webUrl!;
    const post = (verb: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(new URL(`/api/command/${verb}`, url), {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    const operator = { authorization: `Bearer ${OPERATOR}` };
    sim.bench.inject({ fault: "door-open", durationS: 1 });
    await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-door` && String(m.payload.message).includes("latched"),
      10_000,
    );
    const viewer = await post("alarm/ack", { name: "interlock-door" });
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toEqual({ error: 403, message: "only an operator may command the bench" });
    // Bad requests from an operator: each refused with what is wrong, none reaches the bench.
    expect((await post("alarm/ack", "{not json", operator)).status).toBe(400);
    expect((await post("alarm/ack", [1, 2], operator)).status).toBe(400);
    expect((await post("laser/emission", { device: "laser", on: true }, operator)).status).toBe(404);
    expect(
      (
        await post(
          "alarm/ack",
          { name: "interlock-door" },
          { ...operator, origin: "https://elsewhere.example" },
        )
      ).status,
    ).toBe(403);
    expect(
      (await post("alarm/ack", { name: "interlock-door" }, { ...operator, "content-type": "text/plain" }))
        .status,
    ).toBe(415);
    expect((await post("alarm/ack", "x".repeat(20_000), operator)).status).toBe(413);
    const unknown = await post("alarm/ack", { name: "no-such-alarm" }, operator);
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toMatchObject({
      status: "error",
      error: { code: "not-found", path: "name" },
    });
    const alarmNow = sub.messages.filter((m) => m.topic === `${root}/alarm/interlock-door`).at(-1)!;
    expect(alarmNow.payload.acknowledged).toBeUndefined();

    const from = sub.messages.length;
    const ack = await post("alarm/ack", { name: "interlock-door" }, operator);
    expect(ack.status).toBe(200);
    const acked = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-door` && m.payload.acknowledged !== undefined,
      5000,
      from,
    );
    expect((acked.payload.acknowledged as { by: string }).by).toMatch(/^web:operator:web-/);
    const audit = await sub.waitFor(
      (m) => m.topic === `${root}/event/audit` && m.payload.verb === "alarm/ack" && m.payload.status === "ok",
      5000,
      from,
    );
    expect(audit.payload.via).toBe("web:operator");
    expect((await post("interlock/reset", { rules: ["door"] }, operator)).status).toBe(200);
    await sub.waitFor(
      (m) => m.topic === `${root}/alarm/interlock-door` && m.payload.active === false,
      5000,
      from,
    );
  }, 40_000);

  it("a port already taken: the agent runs on, without its page, and says so", async () => {
    const port = await freePort();
    const squatter = createServer().listen(port, "127.0.0.1");
    await new Promise((resolve) => squatter.once("listening", resolve));
    try {
      const { agent, sub, root } = await runBench("web-taken", { "web.port": port });
      expect(agent.webUrl).toBeUndefined();
      const health = await sub.waitFor((m) => m.topic === `${root}/telemetry/agent`, 10_000);
      expect((health.payload.values as Record<string, unknown>).webServing).toBe(false);
    } finally {
      squatter.close();
    }
  }, 30_000);
});
