import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AlarmBook } from "../../../agent/control/alarm-book.js";
import { type AlarmPayload, EventBus } from "../../../agent/events.js";

const logger = pino({ level: "silent" });
const alarm = (name: string, active: boolean): AlarmPayload => ({
  ts: new Date().toISOString(),
  name,
  active,
  severity: "warning",
  message: active ? `${name} raised` : `${name} cleared`,
});

async function restart(file: string, raiseAgain: string[]) {
  const bus = new EventBus(logger);
  const seen: AlarmPayload[] = [];
  bus.on("alarm", (a) => seen.push(a));
  const book = new AlarmBook(bus, { file, logger, graceMs: 100 });
  for (const name of raiseAgain) bus.emit("alarm", alarm(name, true)); // services starting, before control
  await book.restore();
  await sleep(200);
  await book.close();
  return seen.filter((a) => !a.active).map((a) => `${a.name}: ${a.message}`);
}

describe("alarms across a restart", () => {
  it("clears what was active before and is not raised again; keeps what is raised again", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "pb-alarms-")), "alarms.json");
    const bus = new EventBus(logger);
    const book = new AlarmBook(bus, { file, logger, graceMs: 100 });
    for (const name of ["device-cryostat", "interlock-door", "outbox-disk"])
      bus.emit("alarm", alarm(name, true));
    bus.emit("alarm", alarm("outbox-disk", false));
    await book.close();

    expect(await restart(file, ["interlock-door"])).toEqual([
      "device-cryostat: not raised again after the agent restarted: cleared",
    ]);
    // That run left only the door active: nothing more to clear the next time.
    expect(await restart(file, ["interlock-door"])).toEqual([]);
  });

  it("an unreadable alarms file clears nothing and is replaced", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "pb-alarms-")), "alarms.json");
    await writeFile(file, "{ not json");
    expect(await restart(file, [])).toEqual([]);
  });
});
