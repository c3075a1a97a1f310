/**
 * Accepted configuration versions on disk, under `<state-dir>/config/`:
 *
 *   history.json   {"versions": [{version, ts, hash, by}, …]}   the last 50, oldest first
 *   v<N>.json      {version, ts, hash, by, overlay, overlayHash}
 *
 * A version is stored as its overlay: the merge patch (RFC 7396) that turns the local `--config`
 * file into the pushed document. At start the newest overlay is applied over the local file,
 * so a push survives a restart and an edit of the local file survives a push (where the push
 * did not touch it). Every file is written atomically (../state-files.ts). A file that does not
 * read back — torn, edited, failing its hash or the schema — is skipped for the newest good
 * one before it, and reported so the agent raises an alarm.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { documentHash, mergePatch } from "../../config/merge.js";
import { writeFileAtomic } from "../state-files.js";

export const KEEP_VERSIONS = 50;

export interface VersionEntry {
  version: number;
  ts: string;
  /** Of the whole document in force with this version. */
  hash: string;
  /** Who pushed it: the transport and the transaction. */
  by: string;
}

interface VersionFile extends VersionEntry {
  overlay: Record<string, unknown>;
  overlayHash: string;
}

export interface AcceptedVersion {
  entry: VersionEntry;
  document: Record<string, unknown>;
}

export class ConfigState {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "config");
  }

  private file(version: number): string {
    return join(this.dir, `v${version}.json`);
  }

  /** The stored versions, oldest first (from the history, or from the version files if it is gone). */
  async history(): Promise<VersionEntry[]> {
    try {
      const parsed = JSON.parse(await readFile(join(this.dir, "history.json"), "utf8")) as {
        versions?: unknown;
      };
      if (Array.isArray(parsed.versions)) return parsed.versions as VersionEntry[];
    } catch {
      // Rebuilt from the version files below.
    }
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const versions = names
      .map((n) => /^v(\d+)\.json$/.exec(n)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    return versions.map((version) => ({ version, ts: "", hash: "", by: "" }));
  }

  /** One version's document over `base`, or why it cannot be read. */
  async read(version: number, base: Record<string, unknown>): Promise<AcceptedVersion | { problem: string }> {
    let stored: VersionFile;
    try {
      stored = JSON.parse(await readFile(this.file(version), "utf8")) as VersionFile;
    } catch (err) {
      return { problem: `v${version}.json: ${(err as Error).message}` };
    }
    if (
      typeof stored.overlay !== "object" ||
      stored.overlay === null ||
      documentHash(stored.overlay) !== stored.overlayHash
    )
      return { problem: `v${version}.json: its content does not match its hash` };
    const { overlay: _o, overlayHash: _h, ...entry } = stored;
    return { entry, document: mergePatch(base, stored.overlay) as Record<string, unknown> };
  }

  /** Stores a new version and its history line; the oldest beyond KEEP_VERSIONS are deleted. */
  async write(
    entry: VersionEntry,
    overlay: Record<string, unknown>,
    history: VersionEntry[],
  ): Promise<VersionEntry[]> {
    const file: VersionFile = { ...entry, overlay, overlayHash: documentHash(overlay) };
    await writeFileAtomic(this.file(entry.version), `${JSON.stringify(file, null, 2)}\n`);
    const versions = [...history, entry].slice(-KEEP_VERSIONS);
    await writeFileAtomic(join(this.dir, "history.json"), `${JSON.stringify({ versions }, null, 2)}\n`);
    const kept = new Set(versions.map((v) => v.version));
    for (const old of history) if (!kept.has(old.version)) await rm(this.file(old.version), { force: true });
    return versions;
  }
}
