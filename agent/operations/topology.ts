/**
 * What depends on what on this bench, from the bench file: a cryostat's temperature controller
 * on the compressors, a detector on the cryostat it sits in, an interlock rule on its inputs and
 * temperatures, the devices it makes safe on the rule, a tagger on its detectors, the aligner on
 * its laser, stage and signal. An alarm's subject is a node here; two alarms are related when one
 * subject is upstream of the other, and an incident's probable cause is its most upstream symptom
 * (a compressor trip, then the cryostat interlock, then a latched detector: the compressor).
 */
import { isTagger } from "../../config/devices.js";
import type { BenchConfig } from "../../config/schema.js";

export class Topology {
  /** node → the nodes it depends on directly. */
  private readonly parents = new Map<string, Set<string>>();
  private readonly alertSubjects = new Map<string, string>();
  readonly deviceTypes = new Map<string, string>();

  constructor(config: Pick<BenchConfig, "devices" | "interlocks" | "alignment" | "operations">) {
    const link = (child: string, parent: string) => {
      if (child === parent) return;
      const set = this.parents.get(child) ?? new Set<string>();
      set.add(parent);
      this.parents.set(child, set);
    };
    const devices = Object.entries(config.devices);
    const compressors = devices.filter(([, d]) => d.type === "sumitomo-f70").map(([n]) => n);
    for (const [name, d] of devices) {
      this.deviceTypes.set(name, d.type);
      if (d.type === "lakeshore336") for (const c of compressors) link(name, c);
      if (d.type === "snspd-bias") link(name, d.temperature.device);
      if (isTagger(d)) for (const detector of Object.keys(d.channels.detectors)) link(name, detector);
    }
    for (const rule of config.interlocks) {
      const node = `interlock-${rule.name}`;
      for (const input of rule.inputs) link(node, input);
      for (const t of rule.temperatures) link(node, t.device);
      for (const laser of rule.safe.lasers) link(laser, node);
      for (const detector of rule.safe.detectors) link(detector, node);
    }
    if (config.alignment.enabled) {
      link("alignment", config.alignment.stage);
      const signal = config.alignment.signal;
      link("alignment", signal.kind === "power" ? signal.device : signal.detector);
      for (const [name, d] of devices) if (d.type === "obis-laser") link("alignment", name);
    }
    for (const rule of config.operations.alerts) {
      const [kind, name] = rule.metric.split("/");
      this.alertSubjects.set(`alert-${rule.name}`, kind === "telemetry" ? name! : `${kind}-${name}`);
    }
  }

  /** The node an alarm is about. */
  subjectOf(alarm: string): string {
    if (alarm.startsWith("interlock-") && this.parents.has(alarm)) return alarm;
    for (const prefix of ["instrument-", "device-", "over-bright-"])
      if (alarm.startsWith(prefix)) return alarm.slice(prefix.length);
    if (alarm.startsWith("alignment-")) return "alignment";
    return this.alertSubjects.get(alarm) ?? alarm;
  }

  /** True if `b` depends on `a`, directly or through others. */
  upstream(a: string, b: string): boolean {
    const seen = new Set<string>();
    const stack = [...(this.parents.get(b) ?? [])];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node === a) return true;
      if (seen.has(node)) continue;
      seen.add(node);
      stack.push(...(this.parents.get(node) ?? []));
    }
    return false;
  }

  related(a: string, b: string): boolean {
    return a === b || this.upstream(a, b) || this.upstream(b, a);
  }
}
