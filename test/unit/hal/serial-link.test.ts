import pino from "pino";
import sinon from "sinon";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeviceGone, DeviceTimeout } from "../../../hal/errors.js";
import { type ByteTransport, QueuedSerialLink } from "../../../hal/serial-link.js";

/** A transport whose instrument answers each line after `latencyMs` (or never, for lines in `silent`). */
function instrument(answer: (line: string) => string | undefined, latencyMs = 5) {
  let receive: (b: Uint8Array) => void = () => {};
  let onClose: (e?: Error) => void = () => {};
  const written: string[] = [];
  const transport: ByteTransport = {
    write: async (bytes) => {
      const line = Buffer.from(bytes).toString("latin1").trim();
      written.push(line);
      const reply = answer(line);
      if (reply !== undefined) setTimeout(() => receive(Buffer.from(`${reply}\r\n`)), latencyMs);
    },
    setReceiver: (r) => {
      receive = r;
    },
    setCloseHandler: (h) => {
      onClose = h;
    },
    close: async () => onClose(),
  };
  return {
    transport,
    written,
    push: (s: string) => receive(Buffer.from(s)),
    unplug: () => onClose(new Error("gone")),
  };
}

const logger = pino({ level: "silent" });
const options = { device: "cryostat", path: "/dev/ttyUSB0", timeoutMs: 500, terminator: "\r\n" };

describe("QueuedSerialLink", () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  it("writes one request at a time: the second waits for the first reply", async () => {
    const inst = instrument((line) => `re:${line}`, 100);
    const link = new QueuedSerialLink(inst.transport, options, logger);
    const a = link.query("A?");
    const b = link.query("B?");
    await clock.tickAsync(50);
    expect(inst.written).toEqual(["A?"]);
    await clock.tickAsync(60);
    expect(await a).toBe("re:A?");
    expect(inst.written).toEqual(["A?", "B?"]);
    await clock.tickAsync(100);
    expect(await b).toBe("re:B?");
  });

  it("times out a request with no reply as DeviceTimeout naming device and command, then serves the next", async () => {
    const inst = instrument((line) => (line === "SILENT?" ? undefined : "ok"));
    const link = new QueuedSerialLink(inst.transport, options, logger);
    const silent = link.query("SILENT?").catch((e: unknown) => e);
    const next = link.query("X?");
    await clock.tickAsync(499);
    expect(inst.written).toEqual(["SILENT?"]);
    await clock.tickAsync(1);
    const err = await silent;
    expect(err).toBeInstanceOf(DeviceTimeout);
    expect(err).toMatchObject({ device: "cryostat", command: "SILENT?" });
    await clock.tickAsync(10);
    expect(await next).toBe("ok");
  });

  it("puts urgent requests ahead of queued ones", async () => {
    const inst = instrument(() => "ok", 10);
    const link = new QueuedSerialLink(inst.transport, options, logger);
    const first = link.query("1");
    const second = link.query("2");
    const urgent = link.query("STOP", { priority: "urgent" });
    await clock.tickAsync(100);
    await Promise.all([first, second, urgent]);
    expect(inst.written).toEqual(["1", "STOP", "2"]);
  });

  it("rejects the waiting and every later request with DeviceGone when the port goes away", async () => {
    const inst = instrument(() => undefined);
    const link = new QueuedSerialLink(inst.transport, options, logger);
    const waiting = link.query("A?").catch((e: unknown) => e);
    inst.unplug();
    expect(await waiting).toBeInstanceOf(DeviceGone);
    await expect(link.query("B?")).rejects.toBeInstanceOf(DeviceGone);
    expect(link.closed).toBe(true);
  });

  it("counts bytes that arrive with no request waiting, and does not take them as the next reply", async () => {
    const inst = instrument(() => "fresh", 5);
    const link = new QueuedSerialLink(inst.transport, options, logger);
    inst.push("late reply\r\n");
    expect(link.strayBytes).toBe(12);
    const reply = link.query("A?");
    await clock.tickAsync(10);
    expect(await reply).toBe("fresh");
  });
});
