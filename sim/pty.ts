/**
 * Serves a simulated serial instrument on a pseudo-terminal, so the real serialport back end
 * and the real driver run end to end: socat creates the pty (raw, no echo) and connects it to a
 * loopback TCP socket that the instrument twin answers on. Closing (or `unplug()`) kills socat,
 * which removes the pty — what a USB adapter pulled from its socket looks like to the driver.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { LineInstrument } from "./serial-twin.js";

export interface ServedPty {
  /** The device path a driver opens, e.g. /tmp/pb-pty-XXXX/ttySIM. */
  path: string;
  /** Kills socat: the pty disappears under whoever has it open. */
  unplug(): Promise<void>;
  close(): Promise<void>;
  /** Lines the instrument received, for tests. */
  readonly received: string[];
}

export interface ServeOptions {
  /** Where the pty's symlink goes. */
  path: string;
  replyTerminator: string;
  /** Transforms a reply before it is sent (tests inject garbage here). */
  mangle?: (reply: string) => string;
  socat?: string;
}

export async function servePty(instrument: LineInstrument, options: ServeOptions): Promise<ServedPty> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let inbox = "";
    socket.on("data", (chunk: Buffer) => {
      inbox += chunk.toString("latin1");
      for (;;) {
        const end = inbox.search(/[\r\n]/);
        if (end < 0) break;
        const line = inbox.slice(0, end).trim();
        inbox = inbox.slice(end + 1);
        if (line === "") continue;
        received.push(line);
        const reply = instrument.handle(line);
        if (reply !== undefined)
          socket.write((options.mangle ?? ((r) => r))(reply) + options.replyTerminator, "latin1");
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const socat: ChildProcess = spawn(
    options.socat ?? "socat",
    [`pty,raw,echo=0,link=${options.path}`, `tcp:127.0.0.1:${port}`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let socatError = "";
  socat.stderr?.on("data", (d: Buffer) => {
    socatError += d.toString();
  });
  const spawnError = new Promise<never>((_, reject) => socat.once("error", reject));
  for (let waited = 0; !existsSync(options.path); waited += 20) {
    if (waited > 5000 || socat.exitCode !== null) {
      socat.kill();
      server.close();
      throw new Error(
        `socat did not create ${options.path}: ${socatError.trim() || `exit ${socat.exitCode}`}`,
      );
    }
    await Promise.race([sleep(20), spawnError]);
  }
  const unplug = async () => {
    if (socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise((r) => socat.once("exit", r));
      socat.kill("SIGTERM");
      await exited;
    }
    for (const socket of sockets) socket.destroy();
  };
  return {
    path: options.path,
    received,
    unplug,
    close: async () => {
      await unplug();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
