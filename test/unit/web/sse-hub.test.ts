import type { ServerResponse } from "node:http";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { EventBus } from "../../../agent/events.js";
import { LiveFeed } from "../../../agent/web/live-feed.js";
import { MAX_PAGES, SseHub } from "../../../agent/web/sse-hub.js";
import { webSchema } from "../../../config/web.js";
import { simConfig } from "../../helpers/bench-config.js";

/** A page's response: what was written to it, and a socket buffer the test fills and drains. */
function page() {
  const written: string[] = [];
  const res = {
    writableLength: 0,
    writeHead: () => res,
    write: (chunk: string) => {
      written.push(chunk);
      return true;
    },
    on: () => res,
    end: () => {},
  };
  return { res, written, events: () => written.map((w) => /^event: (\w+)/.exec(w)?.[1] ?? "comment") };
}

function hub() {
  const logger = pino({ level: "silent" });
  const bus = new EventBus(logger);
  const config = simConfig();
  const feed = new LiveFeed({
    bus,
    settings: webSchema.parse({}),
    current: () => config,
    backend: () => "sim",
    logger,
  });
  return { bus, hub: new SseHub(feed, 10, logger) };
}

const alarm = (name: string, active = true) => ({
  ts: new Date().toISOString(),
  name,
  active,
  severity: "warning" as const,
  message: `${name} for the test`,
});

describe("the pages' hub", () => {
  it("sends each page a snapshot, then one frame per flush with what changed", () => {
    const { bus, hub: h } = hub();
    const p = page();
    expect(h.add(p.res as unknown as ServerResponse, "viewer")).toBe(true);
    bus.emit("alarm", alarm("a"));
    bus.emit("alarm", alarm("b"));
    h.flush();
    h.flush(); // nothing changed since: nothing sent
    expect(p.events()).toEqual(["snapshot", "update"]);
    const frame = JSON.parse(p.written[1]!.split("data: ")[1]!) as { latest: Record<string, unknown> };
    expect(Object.keys(frame.latest)).toEqual(["alarm/a", "alarm/b"]);
    expect(JSON.parse(p.written[0]!.split("data: ")[1]!)).toMatchObject({ role: "viewer" });
  });

  it("skips a page that is not keeping up, counts it, and sends it a fresh snapshot once it drained", () => {
    const { bus, hub: h } = hub();
    const slow = page();
    const quick = page();
    h.add(slow.res as unknown as ServerResponse, "operator");
    h.add(quick.res as unknown as ServerResponse, "operator");
    slow.res.writableLength = 2 << 20; // 2 MB not yet sent
    for (let k = 0; k < 5; k++) {
      bus.emit("alarm", alarm(`x${k}`));
      h.flush();
    }
    expect(quick.events()).toEqual(["snapshot", "update", "update", "update", "update", "update"]);
    expect(slow.events()).toEqual(["snapshot"]);
    expect(h.counts.framesSkipped).toBe(5);
    slow.res.writableLength = 0;
    bus.emit("alarm", alarm("x5"));
    h.flush();
    expect(slow.events()).toEqual(["snapshot", "snapshot"]);
    expect(h.counts.resyncs).toBe(1);
    // The fresh snapshot holds everything it missed.
    const snapshot = JSON.parse(slow.written[1]!.split("data: ")[1]!) as { latest: Record<string, unknown> };
    expect(Object.keys(snapshot.latest).filter((k) => k.startsWith("alarm/"))).toHaveLength(6);
  });

  it("refuses a page beyond MAX_PAGES", () => {
    const { hub: h } = hub();
    for (let k = 0; k < MAX_PAGES; k++)
      expect(h.add(page().res as unknown as ServerResponse, "viewer")).toBe(true);
    expect(h.add(page().res as unknown as ServerResponse, "viewer")).toBe(false);
    expect(h.counts.pagesRefused).toBe(1);
  });
});
