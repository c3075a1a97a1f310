/**
 * A strict reader of the Prometheus text exposition format for the tests: every line a HELP, a
 * TYPE (gauge or counter) or a sample whose family was typed before it; names, label sets and
 * numbers as the format defines them. Returns the samples by their line's name and labels.
 */
import { expect } from "vitest";

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(
  `^(${NAME})(\\{${LABEL}(?:,${LABEL})*\\})? (NaN|[+-]Inf|-?[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?)$`,
);

export function parseExposition(text: string): Map<string, number> {
  expect(text.endsWith("\n")).toBe(true);
  const typed = new Set<string>();
  const samples = new Map<string, number>();
  for (const line of text.trimEnd().split("\n")) {
    const comment = /^# (HELP|TYPE) (\S+) (.+)$/.exec(line);
    if (comment) {
      if (comment[1] === "TYPE") {
        expect(["gauge", "counter"]).toContain(comment[3]);
        typed.add(comment[2]!);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    expect(m, line).not.toBeNull();
    expect(typed.has(m![1]!), `${m![1]} has its TYPE line first`).toBe(true);
    samples.set(`${m![1]}${m![2] ?? ""}`, Number(m![3] === "+Inf" ? Number.POSITIVE_INFINITY : m![3]));
  }
  return samples;
}
