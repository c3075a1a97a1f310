/**
 * Memory on hostile files: no header value, however large, makes `analyze` take more than twice
 * the memory it takes for the real fixture. Each case runs in its own process (peak RSS from
 * process.resourceUsage()), one tag's value at a time set huge in the HydraHarp fixture's header.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requireBuild } from "../helpers/processes.js";

const FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";
const SCRIPT = `
import { analyzeFile } from "./dist/agent/correlation/analyze.js";
let outcome = "analysed";
try {
  await analyzeFile(process.argv[1], { windowPs: 100000, periodPs: "auto", force: true, threads: 1 });
} catch (err) {
  outcome = err.name;
}
console.log(JSON.stringify({ outcome, maxRssKb: process.resourceUsage().maxRSS }));
`;

function analyseInChild(file: string): { outcome: string; maxRssKb: number } {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", SCRIPT, file], {
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as { outcome: string; maxRssKb: number };
}

describe("analyze's memory on hostile headers", () => {
  it("no tag's value, set huge, takes it past twice the fixture's peak memory", () => {
    requireBuild();
    const baseline = analyseInChild(FIXTURE);
    expect(baseline.outcome).toBe("analysed");
    const bytes = readFileSync(FIXTURE);
    const dir = mkdtempSync(join(tmpdir(), "pb-memory-"));
    const over: string[] = [];
    const outcomes = new Set<string>();
    for (let tag = 0; tag < 41; tag++) {
      const mutated = Buffer.from(bytes);
      // A tag is 48 bytes after the 16-byte preamble; its value is the last 8.
      mutated.writeBigInt64LE(tag % 2 === 0 ? 2n ** 40n : 2n ** 62n - 1n, 16 + tag * 48 + 40);
      const file = join(dir, `tag-${tag}.ptu`);
      writeFileSync(file, mutated);
      const run = analyseInChild(file);
      outcomes.add(run.outcome);
      if (run.maxRssKb > 2 * baseline.maxRssKb) over.push(`tag ${tag}: ${run.maxRssKb} kB (${run.outcome})`);
      expect(["analysed", "TimeTagFileError"]).toContain(run.outcome);
    }
    expect(over, `baseline ${baseline.maxRssKb} kB`).toEqual([]);
    expect(outcomes.has("TimeTagFileError")).toBe(true); // the mutations reached the checks
  }, 120_000);
});
