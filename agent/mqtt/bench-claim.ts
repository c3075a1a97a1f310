/**
 * One agent per bench: before it connects with the bench's client id, the agent reads the
 * bench's retained status with a probe connection of its own. An `online` status from another
 * live agent — another host, or a running process on this one — means the bench is taken: the
 * agent refuses to start (naming the other's host, pid and since), unless `--takeover`. Two
 * agents on one client id would otherwise take the connection from each other for ever.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import mqtt, { type IClientOptions } from "mqtt";
import type { Logger } from "../../hal/logger.js";
import type { StatusPayload } from "../events.js";

export class BenchInUseError extends Error {
  constructor(
    readonly root: string,
    readonly other: StatusPayload,
  ) {
    super(
      `another agent already runs ${root}: host ${other.host ?? "?"}, pid ${other.pid ?? "?"}, online since ${other.ts}` +
        " (stop it, or start this one with --takeover if that status is stale)",
    );
    this.name = "BenchInUseError";
  }
}

/** Whether a process with this pid runs on this host (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Throws BenchInUseError if another live agent holds the bench; a broker it cannot reach is logged, not fatal. */
export async function claimBench(
  url: string,
  options: IClientOptions,
  statusTopic: string,
  root: string,
  logger: Logger,
  waitMs = 3000,
): Promise<void> {
  let status: StatusPayload | undefined;
  try {
    const probe = await mqtt.connectAsync(url, {
      ...options,
      clientId: `photon-bench-probe-${randomUUID().slice(0, 8)}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: waitMs,
      clean: true,
    });
    try {
      probe.on("message", (_topic, payload) => {
        try {
          status = JSON.parse(payload.toString()) as StatusPayload;
        } catch {
          // not ours to judge: treated as no status
        }
      });
      await probe.subscribeAsync(statusTopic, { qos: 1 });
      // The broker sends the retained status with (or right after) the subscription's answer.
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await probe.endAsync(true);
    }
  } catch (err) {
    logger.warn(
      { url, err: (err as Error).message },
      "could not check whether another agent runs this bench",
    );
    return;
  }
  if (status?.state !== "online") return;
  const sameHost = status.host === hostname();
  if (sameHost && typeof status.pid === "number" && !alive(status.pid)) {
    logger.warn(
      { pid: status.pid },
      "the bench's online status is stale (its process is gone): taking the bench",
    );
    return;
  }
  throw new BenchInUseError(root, status);
}
