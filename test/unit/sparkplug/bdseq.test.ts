/** bdSeq across restarts, and when the state directory refuses writes. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { BdSeqFile } from "../../../agent/sparkplug/hold.js";

const logger = pino({ level: "silent" });

describe("BdSeqFile", () => {
  it("starts at 0, goes up by one per CONNECT across instances (restarts), and wraps after 255", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bdseq-"));
    expect(await new BdSeqFile(dir, logger).next()).toBe(0);
    const again = new BdSeqFile(dir, logger);
    expect(await again.next()).toBe(1);
    expect(await again.next()).toBe(2);
    const seen: number[] = [];
    for (let i = 0; i < 256; i++) seen.push(await again.next());
    expect(seen.slice(251, 255)).toEqual([254, 255, 0, 1]);
    expect(JSON.parse(readFileSync(join(dir, "bdseq.json"), "utf8"))).toEqual({ bdSeq: 2 });
  });

  it("counts on in memory when the state directory cannot be written (a file where it should be)", async () => {
    const parent = mkdtempSync(join(tmpdir(), "bdseq-bad-"));
    const notADirectory = join(parent, "sparkplug");
    writeFileSync(notADirectory, "in the way\n");
    const file = new BdSeqFile(notADirectory, logger);
    expect([await file.next(), await file.next(), await file.next()]).toEqual([0, 1, 2]);
  });
});
