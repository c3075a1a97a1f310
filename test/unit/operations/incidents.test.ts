/**
 * Alarms into incidents on the example bench's topology: a compressor trip's alarms make one
 * incident caused by the compressor, an unrelated door alarm another; who is paged, and when.
 */
import { describe, expect, it } from "vitest";
import { IncidentBook, type IncidentHooks } from "../../../agent/operations/incidents.js";
import type { RunbookRun } from "../../../agent/operations/runbook-runner.js";
import { Topology } from "../../../agent/operations/topology.js";
import type { IncidentPayload } from "../../../agent/operations/types.js";
import type { Quiet } from "../../../agent/operations/windows.js";
import { simConfig } from "../../helpers/bench-config.js";

function setUp(options: { runbookFor?: string; quiet?: Quiet } = {}) {
  let now = Date.parse("2026-12-02T10:00:00Z");
  const notes: Array<{ kind: string; id: string; text: string }> = [];
  const started: string[] = [];
  const hooks: IncidentHooks = {
    emit: () => {},
    notify: (kind, i, text) => notes.push({ kind, id: i.id, text }),
    startRunbook: (i: IncidentPayload) => {
      if (options.runbookFor !== i.cause.alarm) return undefined;
      started.push(i.id);
      return "cryostat-recovery";
    },
    quiet: () => options.quiet,
    alertSeverity: (a) => (a === "alert-g2-critical" ? "page" : undefined),
  };
  const book = new IncidentBook(
    new Topology(simConfig()),
    () => ({ groupWindowS: 900, settleS: 3 }),
    hooks,
    () => now,
  );
  const alarm = (name: string, active: boolean, severity: "critical" | "warning" = "critical"): void =>
    book.onAlarm(
      { ts: new Date(now).toISOString(), name, active, severity, message: `${name} ${active}` },
      "run-1",
    );
  const advance = (s: number) => {
    now += s * 1000;
    book.tick(3600, () => {});
  };
  return { book, alarm, advance, notes, started };
}

const run = (outcome: RunbookRun["outcome"]): RunbookRun => ({
  runbook: "cryostat-recovery",
  trigger: "t",
  startedAt: "2026-12-02T10:00:03.000Z",
  endedAt: "2026-12-02T10:01:00.000Z",
  outcome,
  steps: [
    {
      step: "reset the compressor's alarms",
      status: "failed",
      startedAt: "2026-12-02T10:00:03.000Z",
      durationMs: 5,
      detail: "still reports",
    },
  ],
});

describe("incidents", () => {
  it("a compressor trip, the cryostat interlock and a latched detector are one incident caused by the compressor", () => {
    const { book, alarm, advance } = setUp();
    alarm("interlock-cryostat", true);
    advance(0.3);
    alarm("instrument-compressor", true, "warning");
    advance(1);
    alarm("instrument-detectorA", true, "warning");
    alarm("interlock-door", true); // unrelated: the door
    const open = book.open();
    expect(open).toHaveLength(2);
    const trip = open.find((i) => i.symptoms.some((s) => s.alarm === "instrument-compressor"))!;
    expect(trip.symptoms.map((s) => s.alarm)).toEqual([
      "interlock-cryostat",
      "instrument-compressor",
      "instrument-detectorA",
    ]);
    expect(trip.cause).toMatchObject({
      alarm: "instrument-compressor",
      subject: "compressor",
      deviceType: "sumitomo-f70",
    });
  });

  it("with a runbook, nobody is paged while it recovers; the incident resolves with its time to recover", () => {
    const { book, alarm, advance, notes, started } = setUp({ runbookFor: "instrument-compressor" });
    alarm("interlock-cryostat", true);
    alarm("instrument-compressor", true, "warning");
    advance(3);
    expect(started).toHaveLength(1);
    const id = started[0]!;
    advance(40);
    alarm("instrument-compressor", false, "warning");
    alarm("interlock-cryostat", false);
    expect(book.get(id)!.state).toBe("open"); // the runbook is still running
    book.runbookProgress(id, { ...run("recovered"), steps: [] }, true);
    const done = book.get(id)!;
    expect(done.state).toBe("resolved");
    expect(done.ttrS).toBe(43);
    expect(notes).toEqual([]);
  });

  it("pages once, when the runbook fails", () => {
    const { book, alarm, advance, notes, started } = setUp({ runbookFor: "instrument-compressor" });
    alarm("interlock-cryostat", true);
    alarm("instrument-compressor", true, "warning");
    advance(3);
    book.runbookProgress(started[0]!, run("failed"), true);
    alarm("instrument-detectorB", true, "warning");
    book.runbookProgress(started[0]!, run("failed"), true);
    expect(notes.map((n) => n.kind)).toEqual(["page"]);
    expect(notes[0]!.text).toContain('runbook cryostat-recovery failed at "reset the compressor\'s alarms"');
  });

  it("without a runbook a critical alarm pages after settling; a warning files a ticket", () => {
    const { alarm, advance, notes } = setUp();
    alarm("interlock-cryostat", true);
    advance(1);
    expect(notes).toEqual([]);
    advance(3);
    alarm("clock-step", true, "warning");
    advance(4);
    expect(notes.map((n) => n.kind).sort()).toEqual(["page", "ticket"]);
  });

  it("during warm-up nothing pages, a critical threshold's alert included only if it says so", () => {
    const { alarm, advance, notes } = setUp({
      quiet: { kind: "warm-up", since: "x", reason: "agent start" },
    });
    alarm("interlock-cryostat", true);
    advance(5);
    expect(notes.map((n) => n.kind)).toEqual(["ticket"]);
  });

  it("an alert of severity page pages at once", () => {
    const { alarm, notes } = setUp();
    alarm("alert-g2-critical", true);
    expect(notes.map((n) => n.kind)).toEqual(["page"]);
  });

  it("a trip that comes back after the runbook recovered it pages: the automation did not hold", () => {
    const { book, alarm, advance, notes, started } = setUp({ runbookFor: "instrument-compressor" });
    alarm("instrument-compressor", true, "warning");
    advance(3);
    const id = started[0]!;
    advance(30);
    alarm("instrument-compressor", false, "warning");
    book.runbookProgress(id, { ...run("recovered"), steps: [] }, true);
    expect(book.get(id)!.state).toBe("resolved");
    advance(60);
    alarm("instrument-compressor", true, "warning");
    advance(5);
    expect(book.get(id)!.state).toBe("open");
    expect(started).toHaveLength(1); // not run again
    expect(notes.map((n) => n.kind)).toEqual(["page"]);
    expect(notes[0]!.text).toContain("again after runbook cryostat-recovery recovered it");
  });

  it("the same symptom again in the same run soon after reopens the incident instead of a new one", () => {
    const { book, alarm, advance } = setUp();
    alarm("instrument-laser", true, "warning");
    advance(5);
    alarm("instrument-laser", false, "warning");
    const first = book.all()[0]!;
    expect(first.state).toBe("resolved");
    advance(60);
    alarm("instrument-laser", true, "warning");
    expect(book.all()).toHaveLength(1);
    expect(book.all()[0]).toMatchObject({ id: first.id, state: "open" });
  });
});
