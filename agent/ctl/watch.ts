/**
 * `ctl watch`: the bench's telemetry, measurements and alarms as a table redrawn every second
 * (at a terminal; elsewhere one block per second), until Ctrl-C.
 */
import type { CtlClient } from "./client.js";

const short = (value: unknown): string => {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (typeof value === "boolean" || typeof value === "string") return String(value);
  if (Array.isArray(value)) return value.map(String).join(", "); // a list: faults, alarms
  return "…";
};

export async function watchTable(client: CtlClient): Promise<void> {
  const rows = new Map<string, string>();
  await client.watch(["status", "telemetry/+", "measurement/+", "alarm/+"], (topic, payload) => {
    const p = payload as Record<string, unknown>;
    if (topic.startsWith("telemetry/")) {
      const values =
        p.state === "ok"
          ? (p.values as Record<string, unknown>)
          : { faulted: (p.fault as { message?: string })?.message };
      rows.set(
        topic,
        Object.entries(values)
          .slice(0, 8)
          .map(([k, v]) => `${k}=${short(v)}`)
          .join("  "),
      );
    } else if (topic.startsWith("measurement/")) {
      const g2 = p.g2 as Record<string, unknown> | undefined;
      rows.set(
        topic,
        g2
          ? `g2(0)=${short(g2.g2Zero)} ± ${short(g2.g2ZeroError)}  coincidences=${short(p.coincidences)}`
          : `period ${short(p.period)}`,
      );
    } else if (topic.startsWith("alarm/")) {
      if (p.active) rows.set(topic, `ACTIVE ${p.severity}: ${p.message}`);
      else rows.delete(topic);
    } else rows.set(topic, `${p.state}`);
  });
  const tty = process.stdout.isTTY;
  const draw = () => {
    const width = Math.max(0, ...[...rows.keys()].map((k) => k.length));
    const lines = [...rows]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k.padEnd(width)}  ${v}`);
    process.stdout.write(
      `${tty ? "\x1b[2J\x1b[H" : ""}${client.root}  ${new Date().toISOString()}\n${lines.join("\n")}\n${tty ? "" : "\n"}`,
    );
  };
  const timer = setInterval(draw, 1000);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  clearInterval(timer);
}
