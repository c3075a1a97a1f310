/**
 * The lasers' interlock permit lines, driven from the interlock service's decisions: through the
 * interlock guard's thread for the lines it owns (./interlock-guard.ts), directly (a GPIO write)
 * for the others and whenever the guard is down. A held line is written low again every tick; a
 * permitted one only when it changes. A line that cannot be written is logged once, not per tick.
 */
import type { InterlockRule } from "../../config/schema.js";
import type { Laser } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { InterlockGuard } from "./interlock-guard.js";
import { FailureLog } from "./tick-watch.js";

export class PermitLines {
  /** The permit level last written directly to each laser's line (absent: unknown, write it). */
  private readonly written = new Map<string, boolean>();
  private readonly failures: FailureLog;
  guard: InterlockGuard | undefined;

  constructor(
    private readonly lasers: ReadonlyMap<string, Laser>,
    /** Every laser some rule covers. */
    private readonly covered: ReadonlySet<string>,
    logger: Logger,
  ) {
    this.failures = new FailureLog(logger);
  }

  /** Permit low for the lasers in `held`, high for the other covered ones. */
  async drive(held: ReadonlySet<string>): Promise<void> {
    this.guard?.hold(held);
    await Promise.all(
      [...this.covered].map(async (name) => {
        if (this.guard?.owns(name)) {
          this.written.delete(name); // when the guard is down again, write it afresh
          return;
        }
        const permit = !held.has(name);
        if (permit && this.written.get(name) === true) return;
        try {
          await this.lasers.get(name)?.setInterlockPermit(permit);
          this.written.set(name, permit);
          this.failures.note(`laser ${name}`, undefined);
        } catch (err) {
          this.written.delete(name);
          this.failures.note(`laser ${name}`, err, "could not drive the laser's interlock line");
        }
      }),
    );
  }
}

/**
 * Lasers that some rule needs safe right now — an input tripped, or the rule latched before a
 * restart: the composition root opens their permit line low.
 */
export function lasersToHold(
  rules: readonly InterlockRule[],
  trippedInputs: ReadonlySet<string>,
  latchedRules: ReadonlySet<string> = new Set(),
): Set<string> {
  const held = new Set<string>();
  for (const rule of rules)
    if (latchedRules.has(rule.name) || rule.inputs.some((i) => trippedInputs.has(i)))
      for (const laser of rule.safe.lasers) held.add(laser);
  return held;
}
