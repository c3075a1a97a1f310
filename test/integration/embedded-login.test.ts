/**
 * The embedded broker with a login (`mqtt.embedded.username` and `passwordFile`, required beyond
 * 127.0.0.1): a client without the password is refused, one with it is served, and the agent
 * itself logs in with it and publishes.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { startAgent } from "../../agent/main.js";
import { createSimulatedBench } from "../../sim/provider.js";
import { simConfig } from "../helpers/bench-config.js";
import { freePort } from "../helpers/processes.js";

describe("the embedded broker with a login", () => {
  it("refuses a client without the password, serves one with it, and the agent publishes through it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pb-login-"));
    const passwordFile = join(dir, "password");
    writeFileSync(passwordFile, "s3cret-for-the-test\n", { mode: 0o600 });
    const port = await freePort();
    const config = simConfig({
      "mqtt.embedded": { host: "127.0.0.1", port, username: "bench", passwordFile },
    });
    const logger = pino({ level: "silent" });
    const sim = createSimulatedBench(config, logger);
    sim.clock.start();
    const agent = await startAgent(config, { logger, providers: { sim: sim.provider }, stateDir: dir });
    const url = `mqtt://127.0.0.1:${port}`;
    try {
      await expect(
        mqtt.connectAsync(url, {
          protocolVersion: 4,
          reconnectPeriod: 0,
          username: "bench",
          password: "wrong",
        }),
      ).rejects.toThrow(/Not authorized|Bad username or password/);
      await expect(mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow();
      const client = await mqtt.connectAsync(url, {
        protocolVersion: 4,
        reconnectPeriod: 0,
        username: "bench",
        password: "s3cret-for-the-test",
      });
      const status = new Promise<Record<string, unknown>>((resolve) =>
        client.on("message", (_t, payload) =>
          resolve(JSON.parse(payload.toString()) as Record<string, unknown>),
        ),
      );
      await client.subscribeAsync(`${agent.topics.root}/status`, { qos: 1 });
      expect(await status).toMatchObject({ state: "online", benchId: config.benchId });
      await client.endAsync(true);
    } finally {
      await agent.stop("test over");
    }
  });
});
