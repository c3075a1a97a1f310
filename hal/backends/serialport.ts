/**
 * Serial ports over the serialport package, as a ByteTransport under QueuedSerialLink. Loaded
 * lazily like the other hardware back ends. A port that disappears (USB unplugged) closes
 * with `disconnected: true`, or fails a write or emits an error with EIO/ENXIO first (a pty that
 * vanished, a cable pulled mid-write): either way the link is closed underneath — DeviceGone for
 * every waiting request, and the reopening link opens the port anew at the next one. A port
 * error never goes unhandled (it would end the process).
 */
import { readdir } from "node:fs/promises";
import { BusError, DeviceGone } from "../errors.js";
import type { SerialLink, SerialOpenOptions } from "../interfaces.js";
import type { Logger } from "../logger.js";
import { type ByteTransport, QueuedSerialLink } from "../serial-link.js";

async function loadSerialPort(device: string): Promise<typeof import("serialport")> {
  try {
    return await import("serialport");
  } catch (err) {
    throw new BusError("the serial back end needs the serialport package", { device, cause: err });
  }
}

/** Errors that mean the device is no longer there. */
const VANISHED = new Set(["EIO", "ENXIO", "ENODEV", "EBADF"]);

export async function openSerialPort(
  device: string,
  options: SerialOpenOptions,
  logger: Logger,
): Promise<SerialLink> {
  const { SerialPort } = await loadSerialPort(device);
  const port = new SerialPort({
    path: options.path,
    baudRate: options.baudRate,
    dataBits: options.dataBits,
    parity: options.parity,
    stopBits: options.stopBits,
    rtscts: options.rtscts ?? false,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => {
      if (!err) return resolve();
      const message = `cannot open ${options.path}: ${err.message}`;
      reject(
        /No such file|ENOENT/.test(err.message)
          ? new DeviceGone(message, { device, cause: err })
          : new BusError(message, { device, cause: err }),
      );
    }),
  );
  let closedUnderneath: ((error?: Error) => void) | undefined;
  /** The device is gone (not a passing error): close the link, so the next request reopens. */
  const lost = (err: Error & { code?: string }) => {
    if (!VANISHED.has(err.code ?? "")) return false;
    closedUnderneath?.(new Error(`${options.path}: ${err.message}`));
    if (port.isOpen) port.close(() => {});
    return true;
  };
  port.on("error", (err: Error & { code?: string }) => {
    logger.warn({ device, path: options.path, err: err.message, code: err.code }, "serial port error");
    lost(err);
  });
  const transport: ByteTransport = {
    write: (bytes) =>
      new Promise((resolve, reject) => {
        port.write(Buffer.from(bytes), (err) => {
          if (err) {
            lost(err);
            return reject(err);
          }
          port.drain((e) => (e ? reject(e) : resolve()));
        });
      }),
    setReceiver: (receiver) => port.on("data", (chunk: Buffer) => receiver(new Uint8Array(chunk))),
    setCloseHandler: (handler) => {
      closedUnderneath = handler;
      port.on("close", (err?: Error & { disconnected?: boolean }) =>
        handler(err?.disconnected ? new Error(`${options.path} disconnected`) : err),
      );
    },
    close: () =>
      new Promise((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
  return new QueuedSerialLink(
    transport,
    { device, path: options.path, timeoutMs: options.timeoutMs, terminator: options.terminator },
    logger,
  );
}

/**
 * Serial ports present on this host. `SerialPort.list()` asks udevadm, which containers and CI
 * hosts lack (it rejects with `spawn udevadm ENOENT`); then we list /dev/serial/by-id and the
 * usual tty names ourselves.
 */
export async function listSerialPorts(): Promise<string[]> {
  try {
    const { SerialPort } = await import("serialport");
    return (await SerialPort.list()).map((p) => p.path);
  } catch {
    const found: string[] = [];
    const byId = await readdir("/dev/serial/by-id").catch(() => [] as string[]);
    found.push(...byId.map((n) => `/dev/serial/by-id/${n}`));
    const dev = await readdir("/dev").catch(() => [] as string[]);
    found.push(...dev.filter((n) => /^tty(USB|ACM|AMA|S)\d+$/.test(n)).map((n) => `/dev/${n}`));
    return found;
  }
}
