/**
 * The bench file's alert rules, evaluated once a second on the metrics (./metric-view.ts). A rule
 * fires once its threshold has been crossed for `forS`, and clears once the value is `hysteresis`
 * back on the good side. It fires as the alarm `alert-<name>` (critical for `page`, warning for
 * `ticket`), so it is retained, acknowledged and grouped into incidents like any alarm. During
 * warm-up and maintenance a rule does not start firing (each suppressed evaluation is counted), unless it says
 * `evenDuringWarmUp`; an unknown value (device faulted, no measurement yet) changes nothing.
 */
import type { AlertRule } from "../../config/operations.js";
import type { AlarmPayload } from "../events.js";
import type { MetricView } from "./metric-view.js";

interface RuleState {
  breachSince: number | undefined;
  firing: boolean;
}

export class AlertRules {
  private readonly states = new Map<string, RuleState>();
  /** Evaluations in which a rule's threshold was crossed but warm-up or maintenance held it back. */
  suppressed = 0;

  constructor(
    private readonly rules: () => readonly AlertRule[],
    private readonly view: MetricView,
    private readonly raise: (alarm: AlarmPayload) => void,
  ) {}

  severityOf(alarm: string): "page" | "ticket" | undefined {
    return this.rules().find((r) => `alert-${r.name}` === alarm)?.severity;
  }

  evaluate(nowMs: number, quiet: boolean): void {
    for (const rule of this.rules()) {
      const state = this.states.get(rule.name) ?? { breachSince: undefined, firing: false };
      this.states.set(rule.name, state);
      const value = this.view.value(rule.metric);
      if (typeof value !== "number" || !Number.isFinite(value)) continue;
      const breach = rule.above !== undefined ? value > rule.above : value < rule.below!;
      const clear =
        rule.above !== undefined
          ? value <= rule.above - rule.hysteresis
          : value >= rule.below! + rule.hysteresis;
      if (state.firing) {
        if (clear) {
          state.firing = false;
          state.breachSince = undefined;
          this.emit(rule, false, value, nowMs);
        }
        continue;
      }
      if (!breach) {
        state.breachSince = undefined;
        continue;
      }
      if (quiet && !rule.evenDuringWarmUp) {
        this.suppressed++;
        state.breachSince = undefined;
        continue;
      }
      state.breachSince ??= nowMs;
      if (nowMs - state.breachSince >= rule.forS * 1000) {
        state.firing = true;
        this.emit(rule, true, value, nowMs);
      }
    }
  }

  private emit(rule: AlertRule, active: boolean, value: number, nowMs: number): void {
    const threshold = rule.above !== undefined ? `above ${rule.above}` : `below ${rule.below}`;
    this.raise({
      ts: new Date(nowMs).toISOString(),
      name: `alert-${rule.name}`,
      active,
      severity: rule.severity === "page" ? "critical" : "warning",
      message: active
        ? `${rule.metric} = ${value} ${threshold}${rule.forS > 0 ? ` for ${rule.forS} s` : ""}`
        : `${rule.metric} = ${value}: back within its threshold`,
    });
  }
}
