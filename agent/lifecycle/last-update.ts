/**
 * What the update script (systemd/install.sh) last did to this installation: it writes
 * `<state-dir>/update.json` — updated, or rolled back and why — and the agent that starts next
 * carries it in its retained `status` as `lastUpdate`.
 */
import { join } from "node:path";
import type { Logger } from "../../hal/logger.js";
import type { StatusPayload } from "../events.js";
import { readStateFileSync } from "../state-files.js";

/** The record, if there is one and it reads back. */
export function readLastUpdate(stateDir: string, logger: Logger): StatusPayload["lastUpdate"] {
  return readStateFileSync(
    join(stateDir, "update.json"),
    (doc) => {
      const u = doc as NonNullable<StatusPayload["lastUpdate"]>;
      if (typeof u.result !== "string" || typeof u.to !== "string") throw new Error("no result or to");
      return u;
    },
    logger,
    "update.json unreadable: not published",
  );
}
