/**
 * The audit trail: every request and its outcome as one JSON line in `<state-dir>/audit.jsonl`
 * (and on the bus, for `event/audit`). Lines are appended in order by one writer; at 10 MB the file
 * becomes `audit.jsonl.1` (one generation kept). A write that fails is logged and counted — the
 * request's answer does not wait for the disk.
 */
import { appendFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../hal/logger.js";
import type { AuditEvent } from "../events.js";

const ROTATE_BYTES = 10e6;

export class AuditLog {
  readonly file: string;
  private writing: Promise<void> = Promise.resolve();
  /** The file's size as this writer knows it (undefined until first read). */
  private bytes: number | undefined;
  failures = 0;

  constructor(
    stateDir: string,
    private readonly logger: Logger,
  ) {
    this.file = join(stateDir, "audit.jsonl");
  }

  append(entry: AuditEvent): void {
    const line = `${JSON.stringify(entry)}\n`;
    this.writing = this.writing.then(async () => {
      try {
        // The file's size is read once, then counted here: no stat per line.
        this.bytes ??= await stat(this.file).then(
          (s) => s.size,
          () => 0,
        );
        if (this.bytes > ROTATE_BYTES) {
          await rename(this.file, `${this.file}.1`);
          this.bytes = 0;
        }
        await appendFile(this.file, line, { mode: 0o640 });
        this.bytes += Buffer.byteLength(line);
      } catch (err) {
        this.failures++;
        this.logger.error({ file: this.file, err: (err as Error).message }, "could not write the audit log");
      }
    });
  }

  /** Resolves when every line so far is on disk (or has failed). */
  flushed(): Promise<void> {
    return this.writing;
  }
}

/** Per-verb token buckets: `burst` requests at once, refilled at `perS`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly perS: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(key: string): boolean {
    const at = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, atMs: at };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((at - bucket.atMs) / 1000) * this.perS);
    bucket.atMs = at;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
