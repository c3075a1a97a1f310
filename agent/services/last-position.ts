/**
 * The aligner's last good position, kept across restarts in `<state-dir>/alignment.json`
 * ({"positionUm": {x, y, z?}, "fractionOfPeak", "signal", "signalUnit", "ts"}): saved while
 * tracking near the peak (at most every `everyS`), so that after a restart — or a controller that
 * lost its outputs with its power — the aligner goes back there and fits the peak, instead of
 * searching the whole region from wherever the stage happens to be.
 */
import type { Axis } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { AlignmentState } from "../alignment/types.js";
import { BackgroundFile, readStateFile } from "../state-files.js";

export type Position = Partial<Record<Axis, number>>;

export class LastGoodPosition {
  private lastSavedMs = Number.NEGATIVE_INFINITY;
  private readonly saved: BackgroundFile;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
    private readonly everyS = 30,
    private readonly aboveFraction = 0.9,
  ) {
    this.saved = new BackgroundFile(file, "the aligner's position", logger);
  }

  /** The saved position, or undefined (none yet, or a file that does not read back: logged). */
  async load(): Promise<Position | undefined> {
    return readStateFile(
      this.file,
      (doc) => {
        const p = (doc as { positionUm?: unknown }).positionUm as Record<string, unknown> | undefined;
        const axes = Object.entries(p ?? {}).filter(
          ([a, v]) => ["x", "y", "z"].includes(a) && Number.isFinite(v),
        );
        if (axes.length === 0) throw new Error("no position in it");
        return Object.fromEntries(axes) as Position;
      },
      this.logger,
      "the aligner's last good position is unreadable: ignored",
    );
  }

  /** Called with every state: a tracking state near the peak is saved, at most every `everyS`. */
  offer(state: AlignmentState, nowMs = Date.now()): void {
    if (state.mode !== "track" || state.fractionOfPeak < this.aboveFraction) return;
    if (nowMs - this.lastSavedMs < this.everyS * 1000) return;
    this.lastSavedMs = nowMs;
    const text = JSON.stringify({
      positionUm: state.positionUm,
      fractionOfPeak: state.fractionOfPeak,
      signal: state.signal,
      signalUnit: state.signalUnit,
      ts: new Date(nowMs).toISOString(),
    });
    this.saved.save(`${text}\n`);
  }

  flushed(): Promise<void> {
    return this.saved.flushed();
  }
}
