/** Picks the reader from the file's magic, or from its name for quTAG files, which have no magic. */
import { open, stat } from "node:fs/promises";
import { extname } from "node:path";
import { TimeTagFileError } from "./errors.js";
import { LEGACY_IDENT } from "./picoharp-legacy.js";
import { PtuFile } from "./ptu-file.js";
import { PTU_MAGIC } from "./ptu-header.js";
import { QutagFile } from "./qutag-file.js";
import type { ReadOptions, TimeTagFile } from "./time-tag-file.js";

export async function openTimeTagFile(file: string, options: ReadOptions = {}): Promise<TimeTagFile> {
  const start = Buffer.alloc(16);
  const cannot = (err: NodeJS.ErrnoException) => {
    throw new TimeTagFileError(file, `cannot read: ${err.code ?? err.message}`);
  };
  // Checked before opening: opening a FIFO would wait for a writer for ever.
  const info = await stat(file).catch(cannot);
  if (!info.isFile())
    throw new TimeTagFileError(
      file,
      info.isDirectory()
        ? "a directory, not a time-tag file"
        : "not a regular file (a FIFO, a device or a socket)",
    );
  const handle = await open(file, "r").catch(cannot);
  try {
    await handle.read(start, 0, 16, 0).catch(cannot);
  } finally {
    await handle.close();
  }
  const magic = start.toString("latin1");
  if (magic.startsWith(PTU_MAGIC) || magic.startsWith(LEGACY_IDENT)) {
    return PtuFile.open(file, options);
  }
  if (extname(file).toLowerCase() === ".qutag") {
    return QutagFile.open(file, options);
  }
  throw new TimeTagFileError(
    file,
    `not a time-tag file we read (magic "${magic.replace(/[^\x20-\x7e].*$/s, "")}"): expected PTU ("${PTU_MAGIC}"), PicoHarp .pt2/.pt3 ("${LEGACY_IDENT}") or a quTAG .qutag file`,
  );
}
