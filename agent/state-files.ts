/**
 * Files in the agent's state directory, written so that a crash or a power cut leaves either the
 * old file or the new one, never a torn one: write a temporary file beside it, fsync it, rename
 * it over the old one, fsync the directory (so the rename itself is on disk).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Logger } from "../hal/logger.js";

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o640): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "w", mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * One state file saved again and again in the background: each save atomic, in order, none
 * awaited by the caller (a loop never waits for the disk); a failure is logged, and the next save
 * tries again. `after` delays the first save (until the old file has been read).
 */
export class BackgroundFile {
  private writing: Promise<void>;

  constructor(
    readonly file: string,
    private readonly what: string,
    private readonly logger: Logger,
    after: Promise<unknown> = Promise.resolve(),
  ) {
    this.writing = after.then(() => {});
  }

  save(text: string): void {
    this.writing = this.writing
      .then(() => writeFileAtomic(this.file, text))
      .catch((err: unknown) =>
        this.logger.error({ file: this.file, err: (err as Error).message }, `could not save ${this.what}`),
      );
  }

  /** Resolves once the last save is on disk (or failed). */
  flushed(): Promise<void> {
    return this.writing;
  }
}

/**
 * Reads a state file back: `parse` turns its JSON into what the caller keeps (and throws on what
 * it cannot use). A missing file is undefined, quietly (the first run); an unreadable or unusable
 * one is undefined with a warning that names the file, why, and `then` (what happens instead).
 */
export async function readStateFile<T>(
  file: string,
  parse: (doc: unknown) => T,
  logger: Logger,
  then: string,
): Promise<T | undefined> {
  try {
    return parse(JSON.parse(await readFile(file, "utf8")));
  } catch (err) {
    return unreadable(file, err, logger, then);
  }
}

/** readStateFile for a constructor, which cannot wait. */
export function readStateFileSync<T>(
  file: string,
  parse: (doc: unknown) => T,
  logger: Logger,
  then: string,
): T | undefined {
  try {
    return parse(JSON.parse(readFileSync(file, "utf8")));
  } catch (err) {
    return unreadable(file, err, logger, then);
  }
}

function unreadable(file: string, err: unknown, logger: Logger, then: string): undefined {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT")
    logger.warn({ file, err: (err as Error).message }, then);
  return undefined;
}
