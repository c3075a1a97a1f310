/**
 * systemd's notify protocol (sd_notify): READY=1, STATUS=…, STOPPING=1, WATCHDOG=1 as datagrams
 * to $NOTIFY_SOCKET. Node has no unix datagram sockets, and the native packages for it do not
 * build on every board (sd-notify needs libsystemd headers), so each message is sent by
 * `systemd-notify --no-block --pid=<ours>` — part of systemd wherever $NOTIFY_SOCKET is set — with
 * `NotifyAccess=all` in the unit. Without $NOTIFY_SOCKET every call does nothing.
 *
 * The watchdog is fed by whoever calls `watchdog()` — the interlock loop, so a stalled loop stops
 * the pings and systemd restarts the agent — at most every half of $WATCHDOG_USEC.
 */
import { execFile } from "node:child_process";
import type { Logger } from "../../hal/logger.js";

export interface Notifier {
  ready(status: string): void;
  status(text: string): void;
  stopping(status: string): void;
  /** Call from the loop that matters; pings are sent at most every watchdog interval / 2. */
  watchdog(): void;
  /** The watchdog interval systemd asked for, ms (undefined: no watchdog). */
  readonly watchdogMs: number | undefined;
}

export function systemdNotifier(logger: Logger, env: NodeJS.ProcessEnv = process.env): Notifier {
  const socket = env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogMs = socket && Number.isFinite(usec) && usec > 0 && forUs ? usec / 1000 : undefined;
  let broken = false;
  let lastPingAt = Number.NEGATIVE_INFINITY;
  let pinging = false;

  const send = (fields: string[], done?: () => void) => {
    if (!socket || broken) return done?.();
    execFile(
      "systemd-notify",
      ["--no-block", `--pid=${process.pid}`, ...fields],
      { timeout: 5000 },
      (err) => {
        if (err) {
          broken = (err as NodeJS.ErrnoException).code === "ENOENT";
          logger.error({ err: err.message, fields }, "could not notify systemd");
        }
        done?.();
      },
    );
  };
  const status = (text: string) => `STATUS=${text.replace(/\n/g, " ")}`;

  return {
    watchdogMs,
    ready: (text) => send(["READY=1", status(text)]),
    status: (text) => send([status(text)]),
    stopping: (text) => send(["STOPPING=1", status(text)]),
    watchdog: () => {
      if (watchdogMs === undefined || pinging) return;
      const now = performance.now();
      if (now - lastPingAt < watchdogMs / 2) return;
      lastPingAt = now;
      pinging = true;
      send(["WATCHDOG=1"], () => {
        pinging = false;
      });
    },
  };
}
