/** The system's clock-sync state from timedatectl or chrony, and the alarm when it says unsynchronised. */
import pino from "pino";
import { describe, expect, it } from "vitest";
import { type AlarmPayload, EventBus } from "../../../agent/events.js";
import { ClockSync, parseClockReply, type RunCommand } from "../../../agent/operations/clock-sync.js";

// `chronyc -c tracking` as chrony 4 prints it (fields: ref id, name, stratum, ref time, system time offset, …, leap status).
const CHRONY_OK =
  "C0A80001,192.168.0.1,3,1764669600.123,-0.000012345,0.000001,0.00002,-12.3,0.001,0.02,0.003,0.0004,64.4,Normal\n";
const CHRONY_UNSYNC = "00000000,,0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,1.0,1.0,0.0,Not synchronised\n";

describe("clock sync", () => {
  it("reads timedatectl's NTPSynchronized and chrony's leap status and offset", () => {
    expect(parseClockReply("timedatectl", "yes\n")).toEqual({
      clock: "system",
      synced: true,
      source: "timedatectl",
    });
    expect(parseClockReply("timedatectl", "no\n")?.synced).toBe(false);
    expect(parseClockReply("timedatectl", "")).toBeUndefined();
    expect(parseClockReply("chrony", CHRONY_OK)).toMatchObject({ synced: true, source: "chrony" });
    expect(parseClockReply("chrony", CHRONY_OK)!.offsetMs).toBeCloseTo(-0.012345, 9);
    expect(parseClockReply("chrony", CHRONY_UNSYNC)?.synced).toBe(false);
  });

  it("raises clock-unsynchronised while the system says so, clears it when synced, and stays quiet when it cannot tell", async () => {
    const bus = new EventBus(pino({ level: "silent" }));
    const alarms: AlarmPayload[] = [];
    bus.on("alarm", (a) => alarms.push(a));
    let reply: Record<string, string | undefined> = { timedatectl: undefined, chronyc: CHRONY_UNSYNC };
    const run: RunCommand = async (file) => {
      const text = reply[file];
      if (text === undefined) throw new Error(`${file}: not found`);
      return text;
    };
    const sync = new ClockSync({
      bus,
      logger: pino({ level: "silent" }),
      checkS: 60,
      requireSync: true,
      run,
    });
    await sync.check();
    expect(alarms.map((a) => [a.name, a.active])).toEqual([["clock-unsynchronised", true]]);
    expect(sync.health()).toEqual({ clockSynced: false, clockSyncSource: "chrony" });
    reply = { timedatectl: "yes\n" };
    await sync.check();
    expect(alarms.map((a) => a.active)).toEqual([true, false]);
    reply = {};
    await sync.check();
    expect(alarms).toHaveLength(2);
    expect(sync.current).toEqual({ clock: "system", synced: null, source: "unknown" });
  });
});
