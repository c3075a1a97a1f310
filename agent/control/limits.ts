/**
 * The local safety limits: the bench's `safety` and `interlocks` sections (and the interlock
 * tick) as the local file sets them (`--limits FILE`, else the `--config` file). A pushed
 * configuration may tighten them — a lower laser power, a narrower stage range, an extra rule —
 * never loosen or remove them. Each loosening is one problem at its path.
 */
import type { BenchConfig, InterlockRule, SafetyConfig } from "../../config/schema.js";

export interface SafetyLimits {
  safety: SafetyConfig;
  interlocks: readonly InterlockRule[];
  interlockPeriodMs: number;
}

export function limitsOf(config: BenchConfig): SafetyLimits {
  return {
    safety: config.safety,
    interlocks: config.interlocks,
    interlockPeriodMs: config.loops.interlocks.periodMs,
  };
}

export interface Loosening {
  path: string;
  message: string;
}

export function loosenings(next: BenchConfig, limits: SafetyLimits): Loosening[] {
  const out: Loosening[] = [];
  const above = (path: string, value: number, max: number, unit: string) => {
    if (value > max) out.push({ path, message: `${value} ${unit} is above the local limit ${max} ${unit}` });
  };
  const below = (path: string, value: number, min: number, unit: string) => {
    if (value < min) out.push({ path, message: `${value} ${unit} is below the local limit ${min} ${unit}` });
  };
  const s = next.safety;
  const l = limits.safety;
  above("safety.laserMaxPowerMw", s.laserMaxPowerMw, l.laserMaxPowerMw, "mW");
  above("safety.detectorMaxBiasUa", s.detectorMaxBiasUa, l.detectorMaxBiasUa, "µA");
  above("safety.detectorMaxCps", s.detectorMaxCps, l.detectorMaxCps, "cps");
  below("safety.setpointMinK", s.setpointMinK, l.setpointMinK, "K");
  above("safety.setpointMaxK", s.setpointMaxK, l.setpointMaxK, "K");
  above("loops.interlocks.periodMs", next.loops.interlocks.periodMs, limits.interlockPeriodMs, "ms");
  for (const [stage, axes] of Object.entries(l.actuatorLimitsUm))
    for (const [axis, limit] of Object.entries(axes)) {
      const path = `safety.actuatorLimitsUm.${stage}.${axis}`;
      const pushed = s.actuatorLimitsUm[stage]?.[axis as keyof typeof axes];
      if (!pushed) out.push({ path, message: "the local soft limits of this axis cannot be removed" });
      else {
        below(`${path}.minUm`, pushed.minUm, limit.minUm, "µm");
        above(`${path}.maxUm`, pushed.maxUm, limit.maxUm, "µm");
      }
    }
  for (const rule of limits.interlocks) {
    const index = next.interlocks.findIndex((r) => r.name === rule.name);
    const pushed = next.interlocks[index];
    if (!pushed) {
      out.push({ path: "interlocks", message: `the local interlock rule "${rule.name}" cannot be removed` });
      continue;
    }
    const at = `interlocks.${index}`;
    const missing = (path: string, have: readonly string[], need: readonly string[], what: string) => {
      const gone = need.filter((n) => !have.includes(n));
      if (gone.length > 0)
        out.push({
          path: `${at}.${path}`,
          message: `rule "${rule.name}" must keep ${what} ${gone.join(", ")}`,
        });
    };
    missing("inputs", pushed.inputs, rule.inputs, "input");
    missing("safe.lasers", pushed.safe.lasers, rule.safe.lasers, "laser");
    missing("safe.detectors", pushed.safe.detectors, rule.safe.detectors, "detector");
    for (const t of rule.temperatures) {
      const j = pushed.temperatures.findIndex((p) => p.device === t.device && p.input === t.input);
      const p = pushed.temperatures[j];
      if (!p) {
        out.push({
          path: `${at}.temperatures`,
          message: `rule "${rule.name}" must keep its limit on ${t.device}.${t.input}`,
        });
        continue;
      }
      above(`${at}.temperatures.${j}.maxK`, p.maxK, t.maxK, "K");
      above(`${at}.temperatures.${j}.staleAfterS`, p.staleAfterS, t.staleAfterS, "s");
    }
  }
  return out;
}
