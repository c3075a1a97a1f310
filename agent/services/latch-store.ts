/**
 * Latched interlocks survive a restart: restarting the agent must not be a way around
 * `interlock/reset`. The latched rules are kept in `<state-dir>/interlocks.json`
 * ({"latched": {"door": "2026-12-02T03:00:00.000Z"}}, rule → since), written atomically on every
 * change, in the background (a tick never waits for the disk). A file that cannot be read back
 * latches every rule (fail safe) and says so.
 */
import { readFile } from "node:fs/promises";
import type { Logger } from "../../hal/logger.js";
import { BackgroundFile } from "../state-files.js";

export class LatchStore {
  private last = "";
  private readonly saved: BackgroundFile;
  /** The file as the last run left it: read once, by whoever asks first (device build, interlocks). */
  private before: Promise<Map<string, Date> | "all"> | undefined;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {
    this.saved = new BackgroundFile(file, "the latched interlocks", logger);
  }

  /** Rule → since for the rules latched before the restart; `all` when the file was unreadable. */
  load(): Promise<Map<string, Date> | "all"> {
    this.before ??= this.read();
    return this.before;
  }

  private async read(): Promise<Map<string, Date> | "all"> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
      this.logger.error(
        { file: this.file, err: (err as Error).message },
        "cannot read the latched interlocks: latching every rule",
      );
      return "all";
    }
    try {
      const latched = (JSON.parse(text) as { latched?: unknown }).latched;
      if (latched === null || typeof latched !== "object") throw new Error("no `latched` object");
      const out = new Map<string, Date>();
      for (const [rule, since] of Object.entries(latched)) {
        const at = new Date(String(since));
        out.set(rule, Number.isNaN(at.getTime()) ? new Date() : at);
      }
      this.last = JSON.stringify({ latched });
      return out;
    } catch (err) {
      this.logger.error(
        { file: this.file, err: (err as Error).message },
        "the latched-interlocks file is corrupt: latching every rule until reset",
      );
      return "all";
    }
  }

  /** Rule → since for the rules latched before the restart (every rule if the file was unreadable), logged. */
  async latchedBefore(rules: readonly string[]): Promise<Map<string, Date>> {
    const loaded = await this.load();
    const now = new Date();
    const latched = new Map(
      rules.flatMap((r) => {
        const since = loaded === "all" ? now : loaded.get(r);
        return since ? [[r, since] as const] : [];
      }),
    );
    for (const [rule, since] of latched)
      this.logger.warn(
        { rule, since: since.toISOString() },
        `interlock ${rule} was latched before the restart: latched until reset (interlock/reset)`,
      );
    return latched;
  }

  /** Saves the latched rules if they changed; a failure is logged (the latch holds in memory). */
  save(latched: ReadonlyMap<string, Date>): void {
    const text = JSON.stringify({
      latched: Object.fromEntries([...latched].map(([r, d]) => [r, d.toISOString()])),
    });
    if (text === this.last) return;
    this.last = text;
    this.saved.save(`${text}\n`);
  }

  /** Resolves once the last save is on disk (at stop). */
  flushed(): Promise<void> {
    return this.saved.flushed();
  }
}
