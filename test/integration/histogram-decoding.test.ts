/**
 * The README's histogram-decoding examples, run as a subscriber would run them: the Python one
 * under python3 and the JavaScript one under node, each fed a published histogram of known counts
 * (as the live engine encodes it), must give those counts and their delays back.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CorrelationHistogram } from "../../agent/correlation/cross-correlation.js";
import { compactHistogram } from "../../agent/correlation/live-engine.js";

const readme = readFileSync("README.md", "utf8");
const block = (language: string) => {
  const fence = "```";
  const m = new RegExp(`${fence}${language}\\n([\\s\\S]*?)${fence}`).exec(readme);
  if (!m) throw new Error(`README has no ${language} block`);
  return m[1]!;
};

// 9 bins of 1 ns over ±4.5 ns; counts include one above 2^31 to catch a signed read.
const counts = [0, 3, 1, 0, 2_500_000_000, 7, 0, 1, 42];
const payload = JSON.stringify({
  ts: "2026-12-02T09:00:00.000Z",
  name: "hbt",
  histogram: compactHistogram({
    channels: [1, 2],
    windowPs: 4500,
    binPs: 1000,
    counts: Float64Array.from(counts),
    singles: [0, 0],
    spanPs: 0,
  } as CorrelationHistogram),
});

describe("the README's histogram decoding", () => {
  it("Python gives back the counts and the delays", () => {
    const python = `${block("python")}print(json.dumps({"counts": list(counts), "taus": taus_ps}))\n`;
    const run = spawnSync("python3", ["-c", python], { input: payload, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ counts, taus: counts.map((_, k) => -4500 + 1000 * k) });
  });

  it("JavaScript gives back the counts and the delays", () => {
    const js = `${block("javascript")}console.log(JSON.stringify({ counts, taus: tausPs }));\n`;
    const run = spawnSync(process.execPath, ["--input-type=commonjs", "-e", js], {
      input: payload,
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ counts, taus: counts.map((_, k) => -4500 + 1000 * k) });
  });
});
