/**
 * Serves a simulated serial instrument on a pseudo-terminal, so the real serialport back end
 * and the real driver run end to end: socat creates the pty (raw, no echo) and connects it to a
 * loopback TCP socket that the instrument twin answers on. Closing (or `unplug()`) kills socat,
 * which removes the pty — what a USB adapter pulled from its socket looks like to the driver.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { LineInstrument } from "./serial-twin.js";
import { serveTcp } from "./tcp-server.js";

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
  const tcp = await serveTcp(instrument, options);
  const { port, received } = tcp;
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
      await tcp.close();
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
    tcp.drop();
  };
  return {
    path: options.path,
    received,
    unplug,
    close: async () => {
      await unplug();
      await tcp.close();
    },
  };
}
