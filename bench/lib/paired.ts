/**
 * Paired timing for ratios on a shared, noisy machine: the two contenders run in turn, round by
 * round, and the ratio is taken within each round (a drift in the machine's speed hits both
 * alike); the median of the rounds is reported with its spread.
 */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Paired {
  /** Seconds of each round, for each contender. */
  oursS: number[];
  baselineS: number[];
  /** baseline / ours per round: above 1 when ours is faster. */
  ratios: number[];
}

/** Runs `ours` and `baseline` in turn `rounds` times; each returns the seconds it took. */
export async function paired(
  rounds: number,
  ours: () => number | Promise<number>,
  baseline: () => number | Promise<number>,
): Promise<Paired> {
  const out: Paired = { oursS: [], baselineS: [], ratios: [] };
  for (let r = 0; r < rounds; r++) {
    const b = await baseline();
    const o = await ours();
    out.oursS.push(o);
    out.baselineS.push(b);
    out.ratios.push(b / o);
  }
  return out;
}

/** The figures of a paired run as JSON fields: medians, and the ratio's spread. */
export function summary(p: Paired, digits = 3) {
  const round = (x: number) => Number(x.toFixed(digits));
  return {
    oursS: round(median(p.oursS)),
    baselineS: round(median(p.baselineS)),
    ratio: round(median(p.ratios)),
    ratioMin: round(Math.min(...p.ratios)),
    ratioMax: round(Math.max(...p.ratios)),
    rounds: p.ratios.length,
  };
}
