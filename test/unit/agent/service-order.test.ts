/**
 * The service list's order: started in order, stopped in reverse; a start-up aborted midway (a
 * SIGTERM while devices are being built) stops exactly what had started, in reverse, and says so.
 */
import pino from "pino";
import { describe, expect, it } from "vitest";
import { type Service, StartAborted, startInOrder, stopInReverse } from "../../../agent/service.js";

const logger = pino({ level: "silent" });

function recorder() {
  const events: string[] = [];
  const service = (name: string, startMs = 0, onStart?: () => void): Service => ({
    name,
    start: async () => {
      events.push(`start ${name}`);
      onStart?.();
      await new Promise((r) => setTimeout(r, startMs));
    },
    stop: async () => {
      events.push(`stop ${name}`);
    },
  });
  return { events, service };
}

describe("startInOrder / stopInReverse", () => {
  it("starts in order and stops in reverse", async () => {
    const { events, service } = recorder();
    const services = [service("broker"), service("devices"), service("interlocks")];
    await startInOrder(services, logger);
    await stopInReverse(services, logger);
    expect(events).toEqual([
      "start broker",
      "start devices",
      "start interlocks",
      "stop interlocks",
      "stop devices",
      "stop broker",
    ]);
  });

  it("an abort during a start stops what has started (the devices: the safe state) and throws StartAborted", async () => {
    const { events, service } = recorder();
    const abort = new AbortController();
    const services = [
      service("broker"),
      service("devices", 20, () => setTimeout(() => abort.abort("SIGTERM"), 5)),
      service("interlocks"),
      service("telemetry"),
    ];
    const started = startInOrder(services, logger, abort.signal);
    await expect(started).rejects.toBeInstanceOf(StartAborted);
    await expect(started).rejects.toThrow("start-up ended by SIGTERM");
    expect(events).toEqual(["start broker", "start devices", "stop devices", "stop broker"]);
  });

  it("a failed start stops the started ones and rethrows; a stop that hangs does not hold up the rest", async () => {
    const { events, service } = recorder();
    const hangs: Service = {
      name: "hangs",
      start: async () => {},
      stop: () => new Promise(() => {}),
      stopTimeoutMs: 50,
    };
    const fails: Service = {
      name: "fails",
      start: async () => {
        throw new Error("no serial port");
      },
      stop: async () => {},
    };
    await expect(startInOrder([service("devices"), hangs, fails, service("never")], logger)).rejects.toThrow(
      "no serial port",
    );
    expect(events).toEqual(["start devices", "stop devices"]);
  });
});
