/**
 * Serial ports over the serialport package, as a ByteTransport under QueuedSerialLink. Loaded
 * lazily like the other hardware back ends. A port that disappears (USB unplugged) closes
 * with `disconnected: true`; the link turns that into DeviceGone for every waiting request.
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
  const transport: ByteTransport = {
    write: (bytes) =>
      new Promise((resolve, reject) => {
        port.write(Buffer.from(bytes), (err) =>
          err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve())),
        );
      }),
    setReceiver: (receiver) => port.on("data", (chunk: Buffer) => receiver(new Uint8Array(chunk))),
    setCloseHandler: (handler) =>
      port.on("close", (err?: Error & { disconnected?: boolean }) =>
        handler(err?.disconnected ? new Error(`${options.path} disconnected`) : err),
      ),
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
