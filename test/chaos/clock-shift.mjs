/**
 * Preloaded into the chaos agent (`NODE_OPTIONS=--import …`): this process's wall clock (`Date`)
 * is stepped by the milliseconds written in $CHAOS_CLOCK_FILE each time the process gets SIGUSR2
 * — the agent's clock source stepped as NTP would step it, the machine's own clock untouched.
 * The monotonic clock (performance.now, process.hrtime) is not affected, as it is not by NTP.
 */
import { readFileSync } from "node:fs";

const file = process.env.CHAOS_CLOCK_FILE;
if (file) {
  const RealDate = Date;
  let offsetMs = 0;
  class SteppedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offsetMs);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offsetMs;
    }
  }
  globalThis.Date = SteppedDate;
  process.on("SIGUSR2", () => {
    offsetMs = Number(readFileSync(file, "utf8"));
  });
}
