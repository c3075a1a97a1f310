/**
 * The Prometheus text exposition format (version 0.0.4): for each family a `# HELP` and a
 * `# TYPE` line, then one `name{label="value",…} number` line per sample. Names are
 * [a-zA-Z_:][a-zA-Z0-9_:]*, label values escape backslash, double quote and newline; a number
 * that is not finite is written as Prometheus spells it (NaN, +Inf, -Inf).
 */

export type Labels = Record<string, string>;

export interface MetricFamily {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: Array<{ labels?: Labels; value: number }>;
}

/** `sampleTempK` → `sample_temp_k`; anything outside the name alphabet → `_`. */
export function snakeName(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^a-zA-Z0-9_:]/g, "_")
    .toLowerCase();
  return /^[a-z_:]/.test(snake) ? snake : `_${snake}`;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function number(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

export function exposition(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const text =
        labels.length > 0 ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
      out.push(`${f.name}${text} ${number(s.value)}`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** Every finite number in a nested object, by its dotted path (booleans as 1 and 0). */
export function numericLeaves(o: Record<string, unknown>, prefix = ""): Array<[string, number]> {
  return Object.entries(o).flatMap(([k, v]): Array<[string, number]> => {
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "number" && Number.isFinite(v)) return [[path, v]];
    if (typeof v === "boolean") return [[path, v ? 1 : 0]];
    if (typeof v === "object" && v !== null && !Array.isArray(v))
      return numericLeaves(v as Record<string, unknown>, path);
    return [];
  });
}
