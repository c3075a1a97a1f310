/** `photon-bench analyze` as a user runs it: the real HydraHarp file, bad arguments, bad files. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pulsedSource, TagGenerator } from "../../sim/photons.js";
import { Rng } from "../../sim/random.js";
import { spawnAgent } from "../helpers/processes.js";
import { writePtu } from "../helpers/ptu-synth.js";

const FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";
const dir = mkdtempSync(join(tmpdir(), "pb-analyze-"));

async function analyze(args: string[]) {
  const run = spawnAgent(["analyze", ...args]);
  const { code } = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe("photon-bench analyze", () => {
  it("--json gives the reference figures of the real HydraHarp file, and --csv the histogram", async () => {
    const csv = join(dir, "g2.csv");
    const { code, stdout } = await analyze([FIXTURE, "--json", "--csv", csv]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Record<string, unknown> & { g2: Record<string, unknown> };
    expect(result).toMatchObject({
      format: "PTU",
      recordType: "HydraHarp 400 V2 T2",
      records: 409_482,
      photons: { "0": 159_298, "1": 224_721 },
      warnings: [],
    });
    expect(result.durationS as number).toBeCloseTo(1.0, 3);
    expect(result.g2).toMatchObject({ channels: [0, 1], kind: "pulsed", centreArea: 2, sidePeaks: 36 });
    expect(result.g2.g2Zero as number).toBeCloseTo(0.004, 3);
    expect(result.g2.g2ZeroError as number).toBeCloseTo(0.0028, 3);
    expect(result.g2.zeroDelayPs as number).toBeGreaterThan(23_800);
    expect(result.g2.zeroDelayPs as number).toBeLessThan(24_100);
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines[0]).toBe("tau_ps,counts,g2");
    expect(lines).toHaveLength(1 + 12_500); // ±100 ns in 16 ps bins
    // Every pair within ±100 ns, once: the same total as the exact count.
    expect(lines.slice(1).reduce((n, l) => n + Number(l.split(",")[1]), 0)).toBe(31_474);
  });

  it("prints a summary a person reads, with g2(0) and a plot", async () => {
    const { code, stdout } = await analyze([FIXTURE, "--channels", "0,1", "--window-ns", "80"]);
    expect(code).toBe(0);
    expect(stdout).toContain("channel 1: 224,721 photons");
    // ±80 ns around a zero-delay peak at +24 ns leaves room for 16 side peaks on each side.
    expect(stdout).toMatch(/g2\(0\) = 0\.0039 ± 0\.0028 {3}\(channels 0 → 1, pulsed, .* in 32 side peaks\)/);
    expect(stdout).toContain("█");
  });

  it.each([
    [["--channels", "0"], "--channels: expected two different channel numbers"],
    [["--channels", "0,7"], "channel 7 has no photons in this file (it has 0, 1)"],
    [["--bin-ps=-3"], '--bin-ps: expected a positive number, got "-3"'],
    [["--bin-ps", "7"], "--bin-ps 7 does not divide the ±100000 ps window"],
    [["--window-ns", "lots"], "--window-ns: expected a positive number"],
    [["--speed"], "unknown option '--speed'"],
    [["--background-cps", "10"], '--background-cps: expected two rates ≥ 0 as A,B, got "10"'],
    [["--background-cps", "1e9,0"], "background 1000000000 cps on channel 0 is not below its measured rate"],
    [["--setup-efficiency", "3"], "--setup-efficiency: a fraction 0–1, got 3"],
    [["--log-bins", "2.5"], "--log-bins: a whole number of bins per decade"],
    [["--zero-delay-ps", "soon"], '--zero-delay-ps: expected a delay in ps, got "soon"'],
    [["--csv", "/nonexistent-folder/g2.csv"], "the folder /nonexistent-folder does not exist"],
    [["--csv", "test"], "--csv test: that is a folder; give a file name"],
  ])("exits 2 on bad arguments %j, saying what is wrong", async (extra, message) => {
    const { code, stderr } = await analyze([FIXTURE, ...extra]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it("exits 3 with a one-line reason on a file that is not time tags or contradicts itself; --force analyses it", async () => {
    const notes = join(dir, "notes.txt");
    writeFileSync(notes, "lab notes");
    const bad = await analyze([notes]);
    expect(bad.code).toBe(3);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("not a time-tag file we read");
    const folder = await analyze([dir]);
    expect(folder.code).toBe(3);
    expect(folder.stderr.trim()).toBe(`photon-bench analyze: ${dir}: a directory, not a time-tag file`);

    const liar = join(dir, "liar.ptu");
    // A simulated source (g2(0) = 0.1 at 80 MHz), written as HydraHarp V2 T2 with a lying record count.
    const tags = new TagGenerator(new Rng(8)).generate(
      0,
      0.02e12,
      pulsedSource({
        g2Zero: 0.1,
        transmission: 0.2,
        lifetimePs: 500,
        jitterFwhmPs: 50,
        deadTimePs: 0,
        detectors: [
          { channel: 0, efficiency: 1, darkCps: 0, delayPs: 0 },
          { channel: 1, efficiency: 1, darkCps: 0, delayPs: 0 },
        ],
      }),
    );
    const events = [...tags.timesPs].map((time, i) => ({ channel: tags.channels[i]!, time }));
    const records = writePtu(
      liar,
      { code: 0x01010204, mode: "T2", picoharp: false, singleWrap: false },
      events,
      {
        globalResolutionS: 1e-12,
        declaredRecords: 1,
      },
    );
    const refused = await analyze([liar, "--json"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`the header declares 1 records but the file holds ${records} `);
    expect(refused.stderr).toContain("--force");
    const forced = await analyze([liar, "--json", "--force"]);
    expect(forced.code).toBe(0);
    const result = JSON.parse(forced.stdout);
    expect(result.warnings).toEqual([expect.stringContaining("declares 1 records")]);
    expect(result.g2.periodPs).toBeCloseTo(12_500, -1);
    expect(result.g2.g2Zero).toBeLessThan(0.2);
  });
});
