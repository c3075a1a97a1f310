/** The photon-bench command as a user types it: exit statuses and what it says. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SIM_EXAMPLE } from "../helpers/bench-config.js";
import { freePort, spawnAgent, subscriber, untilSaid } from "../helpers/processes.js";

const badFile = () => {
  const file = join(mkdtempSync(join(tmpdir(), "pb-cli-")), "bench.yaml");
  writeFileSync(
    file,
    "benchId: lab 3\ndevices:\n  laser:\n    type: obis-laser\n    serial: { path: 7 }\n    interlockLine: { line: 17 }\n",
  );
  return file;
};

describe("photon-bench CLI", () => {
  it("refuses a bad bench file with exit status 2 and one line per problem, with its path", async () => {
    const agent = spawnAgent(["run", "--config", badFile()]);
    expect((await agent.exit).code).toBe(2);
    const lines = agent.stderr().trim().split("\n");
    expect(lines).toContain("photon-bench: devices.laser.serial.path: expected string, got number (line 5)");
    expect(lines.some((l) => l.startsWith("photon-bench: benchId: must start with a letter"))).toBe(true);
    expect(agent.stdout()).toBe(""); // nothing started, nothing logged
  });

  it("checks a file without running anything", async () => {
    const good = spawnAgent(["check-config", "--config", SIM_EXAMPLE]);
    expect((await good.exit).code).toBe(0);
    expect(good.stdout()).toContain("valid (bench sim-bench-01, 10 devices)");
  });

  it.each([
    [["run", "--config", SIM_EXAMPLE, "--frobnicate"], "unknown option '--frobnicate'"],
    [["launch"], "unknown command 'launch'"],
    [
      ["run", "--config", SIM_EXAMPLE, "--sim-speed", "fast"],
      '--sim-speed: expected a number in (0, 1000], got "fast"',
    ],
    [["run", "--config", SIM_EXAMPLE, "--broker", "http://x"], "mqtt.broker:"],
  ])("exits 2 on bad arguments: %j", async (args, message) => {
    const agent = spawnAgent(args);
    expect((await agent.exit).code).toBe(2);
    expect(agent.stderr()).toContain(message);
  });

  it("every command has --help with its defaults; the technician's tools answer or say why not", async () => {
    const help = spawnAgent(["analyze", "--help"]);
    expect((await help.exit).code).toBe(0);
    expect(help.stdout()).toContain("--window-ns <n>");
    expect(help.stdout()).toContain('(default: "100")');
    const schema = spawnAgent(["schema"]);
    expect((await schema.exit).code).toBe(0);
    expect(JSON.parse(schema.stdout())).toMatchObject({ title: "photon-bench bench file", type: "object" });
    const badBus = spawnAgent(["i2c-scan", "bus1"]);
    expect((await badBus.exit).code).toBe(2);
    expect(badBus.stderr()).toContain('the bus is a number (/dev/i2c-N) 0–255, got "bus1"');
    const noBus = spawnAgent(["i2c-scan", "250"]); // no /dev/i2c-250 here
    expect((await noBus.exit).code).toBe(1);
    expect(noBus.stderr()).toContain("/dev/i2c-250");
    const ports = spawnAgent(["ports"]);
    expect((await ports.exit).code).toBe(0);
  });

  it("says how to use the broker already on the port when the embedded one cannot listen", async () => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(port, "127.0.0.1", () => r()));
    try {
      const agent = spawnAgent(["run", "--config", SIM_EXAMPLE], {
        PHOTON_BENCH_MQTT__EMBEDDED__PORT: String(port),
      });
      expect((await agent.exit).code).toBe(1);
      expect(agent.stderr()).toContain(`127.0.0.1:${port} is already in use`);
      expect(agent.stderr()).toContain(`--broker mqtt://127.0.0.1:${port}`);
    } finally {
      squatter.close();
    }
  });

  it("runs on when the web view's port is taken, and says how to choose another", async () => {
    const [port, webPort] = [await freePort(), await freePort()];
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(webPort, "127.0.0.1", () => r()));
    const agent = spawnAgent(["run", "--config", SIM_EXAMPLE], {
      PHOTON_BENCH_MQTT__EMBEDDED__PORT: String(port),
      PHOTON_BENCH_WEB__PORT: String(webPort),
    });
    try {
      await untilSaid(agent, "mosquitto_sub");
      expect(agent.stderr()).toContain(
        `photon-bench: the web view could not listen on 127.0.0.1:${webPort} (taken?); another port: PHOTON_BENCH_WEB__PORT=8081 make run`,
      );
      expect(agent.child.exitCode).toBeNull(); // still running: the bench does not wait on a page
    } finally {
      squatter.close();
      agent.child.kill("SIGTERM");
      expect((await agent.exit).code).toBe(0);
    }
  }, 20_000);

  it("runs on the embedded broker (MQTT 3.1.1) and prints the mosquitto_sub line and the web page to watch it", async () => {
    const port = await freePort();
    const agent = spawnAgent(["run", "--config", SIM_EXAMPLE], {
      PHOTON_BENCH_MQTT__EMBEDDED__PORT: String(port),
    });
    try {
      await untilSaid(agent, "mosquitto_sub");
      expect(agent.stderr()).toContain(
        `mosquitto_sub -h 127.0.0.1 -p ${port} -t 'photon-bench/sim-bench-01/#' -v`,
      );
      // The web view's address on the next line (any free port here: spawnAgent sets web.port 0).
      const page = /photon-bench: see it: {2}(http:\/\/127\.0\.0\.1:\d+\/) {2}\(the live web view\)/.exec(
        agent.stderr(),
      );
      expect(page).not.toBeNull();
      expect(await (await fetch(page![1]!)).text()).toContain("<title>photon-bench</title>");
      const sub = await subscriber(`mqtt://127.0.0.1:${port}`, "photon-bench/sim-bench-01/#");
      const status = await sub.waitFor((m) => m.topic.endsWith("/status"));
      expect(status.payload.state).toBe("online");
      expect(status.retain).toBe(true); // a late subscriber gets the retained status
      await sub.waitFor((m) => m.topic.endsWith("/telemetry/tagger") && m.payload.state === "ok");
      await sub.close();
    } finally {
      agent.child.kill("SIGTERM");
      expect((await agent.exit).code).toBe(0);
    }
  }, 20_000);
});
