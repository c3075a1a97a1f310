/**
 * A tagger (or any line-and-stream instrument) on another computer, over TCP: the same request
 * discipline as a serial port (QueuedSerialLink) over a socket. A refused or dropped connection
 * is DeviceGone, so the reopening link connects again at the next request, as it reopens a serial
 * port that was unplugged.
 */
import { connect, type Socket } from "node:net";
import { DeviceGone } from "../errors.js";
import type { SerialLink } from "../interfaces.js";
import type { Logger } from "../logger.js";
import { type ByteTransport, QueuedSerialLink } from "../serial-link.js";

export interface TcpLinkOptions {
  host: string;
  port: number;
  timeoutMs: number;
  terminator: string;
}

export async function openTcpLink(
  device: string,
  options: TcpLinkOptions,
  logger: Logger,
): Promise<SerialLink> {
  const path = `tcp://${options.host}:${options.port}`;
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host: options.host, port: options.port, noDelay: true });
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new DeviceGone(`cannot connect to ${path}: no answer within ${options.timeoutMs} ms`, { device }),
      );
    }, options.timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once("error", (err: Error & { code?: string }) => {
      clearTimeout(timer);
      reject(new DeviceGone(`cannot connect to ${path}: ${err.code ?? err.message}`, { device, cause: err }));
    });
  });
  let closedUnderneath: ((error?: Error) => void) | undefined;
  socket.on("error", (err: Error & { code?: string }) => {
    logger.warn({ device, path, err: err.message, code: err.code }, "tcp link error");
  });
  socket.on("close", () => closedUnderneath?.(new Error(`${path}: connection closed`)));
  const transport: ByteTransport = {
    write: (bytes) =>
      new Promise((resolve, reject) => {
        if (socket.destroyed) return reject(new Error(`${path}: connection closed`));
        socket.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve()));
      }),
    setReceiver: (receiver) => socket.on("data", (chunk: Buffer) => receiver(new Uint8Array(chunk))),
    setCloseHandler: (handler) => {
      closedUnderneath = handler;
    },
    close: () =>
      new Promise((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once("close", () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 500).unref();
      }),
  };
  return new QueuedSerialLink(
    transport,
    { device, path, timeoutMs: options.timeoutMs, terminator: options.terminator },
    logger,
  );
}
