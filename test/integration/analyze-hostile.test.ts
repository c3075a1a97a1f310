/**
 * `analyze` on files that lie: a FIFO (opening it would wait for ever), a header tag declaring a
 * gigabyte the file does not hold, resolutions no tagger has (1e-20 s would make every time 0
 * and pairing quadratic; NaN), and a date that is not one. Each ends at once with exit 3 naming
 * the file and the reason — or, for the date, is read as unknown — never a hang or a crash.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Rng } from "../../sim/random.js";
import { type PtuTag, PtuTagType, ptuHeaderBytes } from "../../sim/tag-files.js";
import { spawnAgent } from "../helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "pb-hostile-"));
const FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";

async function analyze(file: string) {
  const run = spawnAgent(["analyze", file, "--json"]);
  const { code } = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** A HydraHarp V2 T2 file of the fixture's records under a header of our own. */
function withHeader(name: string, tags: PtuTag[], patch?: (header: Buffer) => void): string {
  const fixture = readFileSync(FIXTURE);
  const records = fixture.subarray(fixture.length - 4 * 1000); // its last 1000 records
  const header = ptuHeaderBytes([
    ["TTResultFormat_TTTRRecType", -1, PtuTagType.Int8, 0x01010204],
    ["TTResultFormat_BitsPerRecord", -1, PtuTagType.Int8, 32],
    ...tags,
  ]);
  patch?.(header);
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([header, records]));
  return file;
}

describe("analyze on hostile files", () => {
  it("a FIFO is refused at once, not opened", async () => {
    const fifo = join(dir, "pipe.ptu");
    execFileSync("mkfifo", [fifo]);
    const { code, stderr } = await analyze(fifo);
    expect(code).toBe(3);
    expect(stderr.trim()).toBe(
      `photon-bench analyze: ${fifo}: not a regular file (a FIFO, a device or a socket)`,
    );
  });

  it("a header string declaring 1 GiB the file does not hold: exit 3, no allocation of it", async () => {
    const file = withHeader(
      "huge-string.ptu",
      [
        ["MeasDesc_GlobalResolution", -1, PtuTagType.Float8, 1e-12],
        ["File_Comment", -1, PtuTagType.AnsiString, "x"],
      ],
      (header) => {
        // The comment's length field (after the 16-byte preamble and three 48-byte tags).
        header.writeBigInt64LE(BigInt(2 ** 30), 16 + 3 * 48 + 40);
      },
    );
    const { code, stderr } = await analyze(file);
    expect(code).toBe(3);
    expect(stderr).toContain(`${file}: tag File_Comment declares 1073741824 bytes, beyond the file's end`);
  });

  it.each([
    [1e-20, "1e-20"],
    [Number.NaN, "NaN"],
    [5, "5"],
  ])("a resolution of %s s is refused (exit 3, the tag and the value named)", async (resolution, shown) => {
    const file = withHeader(`resolution-${shown}.ptu`, [
      ["MeasDesc_GlobalResolution", -1, PtuTagType.Float8, resolution],
    ]);
    const { code, stderr } = await analyze(file);
    expect(code).toBe(3);
    expect(stderr).toContain(
      `${file}: MeasDesc_GlobalResolution ${shown} s is not a time-tagger's resolution`,
    );
  });

  it("random records: a channel's time going back is refused before any kernel sees it; --force drops them", async () => {
    const rng = new Rng(11);
    const random = Buffer.alloc(4 * 20_000);
    for (let i = 0; i < random.length; i += 4) random.writeUInt32LE((rng.uniform() * 2 ** 32) >>> 0, i);
    const header = ptuHeaderBytes([
      ["TTResultFormat_TTTRRecType", -1, PtuTagType.Int8, 0x01010204],
      ["TTResultFormat_BitsPerRecord", -1, PtuTagType.Int8, 32],
      ["MeasDesc_GlobalResolution", -1, PtuTagType.Float8, 1e-12],
    ]);
    const file = join(dir, "random.ptu");
    writeFileSync(file, Buffer.concat([header, random]));
    const refused = await analyze(file);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/goes back in time at record \d+ .*\(--force analyses it anyway\)/);
    const run = spawnAgent(["analyze", file, "--json", "--force"]);
    expect((await run.exit).code).toBe(0); // was: out of bounds in the WebAssembly pair kernel
    const report = JSON.parse(run.stdout()) as { warnings: string[] };
    expect(report.warnings.some((w) => /^\d+ records dropped: their channel's time went back/.test(w))).toBe(
      true,
    );
  });

  it("a zero-filled quTAG file (times standing still) keeps the reorder buffer bounded and ends in exit 3", async () => {
    const file = join(dir, "zeros.qutag");
    writeFileSync(file, Buffer.alloc(60e6)); // 6 M records at time 0 on channel 0
    const { code, stderr } = await analyze(file);
    expect(code).toBe(3);
    expect(stderr).toContain(`${file}: photons on 1 channel(s) only; a correlation needs two`);
  });

  it("a date that is not one is read as unknown, and the file is analysed", async () => {
    const file = withHeader(
      "nan-date.ptu",
      [
        ["MeasDesc_GlobalResolution", -1, PtuTagType.Float8, 1e-12],
        ["File_CreatingTime", -1, PtuTagType.Float8, 0],
      ],
      (header) => {
        const at = 16 + 3 * 48;
        header.writeUInt32LE(0x21000008, at + 36); // TDateTime
        header.writeDoubleLE(Number.NaN, at + 40);
      },
    );
    const { code, stdout } = await analyze(file);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ format: "PTU", records: 1000 });
  });
});
