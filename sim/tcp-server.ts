/**
 * Serves a simulated instrument on a loopback TCP socket: text commands by line, replies with the
 * instrument's terminator, and — for a streaming instrument (the tagger twin) — its unasked bytes
 * to the connection that is open. The tcp-tagger driver connects here in tests, and socat bridges
 * a pty to it (./pty.ts).
 */
import { createServer, type Server, type Socket } from "node:net";
import { type LineInstrument, takeCommand } from "./serial-twin.js";

export interface ServedTcp {
  port: number;
  /** Lines the instrument received, for tests. */
  readonly received: string[];
  /** Cuts every open connection (the server keeps listening): a dropped network link. */
  drop(): void;
  close(): Promise<void>;
}

export async function serveTcp(
  instrument: LineInstrument,
  options: { replyTerminator: string; mangle?: (reply: string) => string },
): Promise<ServedTcp> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    instrument.attach?.((bytes) => socket.write(bytes));
    socket.on("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) instrument.detach?.();
    });
    socket.on("error", () => socket.destroy());
    let inbox = "";
    socket.on("data", (chunk: Buffer) => {
      inbox += chunk.toString("latin1");
      for (let next = takeCommand(instrument, inbox); next; next = takeCommand(instrument, inbox)) {
        inbox = next.rest;
        received.push(next.command);
        const reply = instrument.handle(next.command);
        if (reply !== undefined)
          socket.write((options.mangle ?? ((r) => r))(reply) + options.replyTerminator, "latin1");
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const drop = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    received,
    drop,
    close: async () => {
      drop();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
