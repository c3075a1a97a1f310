/**
 * Multi-tau g2(τ): log-spaced bins, so one histogram covers picosecond antibunching and
 * millisecond blinking. Edges are whole picoseconds, symmetric about τ = 0: a linear core
 * [−min, min) in one bin each side, then `perDecade` bins per decade out to ±max. Pair counting
 * is exact and streams over chunks by the same PairStream as the linear CrossCorrelator.
 */
import { PairStream } from "./pair-stream.js";

export interface LogHistogram {
  channels: [number, number];
  /** Edges of |τ|, ps: 0, min, …, max. Bin k of each sign spans [edges[k], edges[k+1]). */
  edgesPs: number[];
  /** Counts for τ ≥ 0 (bin k: edges[k] ≤ τ < edges[k+1]). */
  positive: Float64Array;
  /** Counts for τ < 0 (bin k: edges[k] < −τ ≤ edges[k+1]). */
  negative: Float64Array;
  singles: [number, number];
  spanPs: number;
}

export function logEdgesPs(minPs: number, maxPs: number, perDecade: number): number[] {
  if (!(minPs >= 1) || !(maxPs > minPs) || !Number.isInteger(perDecade) || perDecade < 1)
    throw new RangeError(`log bins: need 1 ≤ min < max and a whole number of bins per decade`);
  const edges = [0, Math.round(minPs)];
  for (let k = 1; ; k++) {
    const edge = Math.round(minPs * 10 ** (k / perDecade));
    if (edge >= maxPs) break;
    if (edge > edges.at(-1)!) edges.push(edge);
  }
  edges.push(Math.round(maxPs));
  return edges;
}

export class LogCorrelator {
  readonly positive: Float64Array;
  readonly negative: Float64Array;
  private readonly stream: PairStream;

  constructor(
    readonly channelA: number,
    readonly channelB: number,
    readonly edgesPs: number[],
  ) {
    this.positive = new Float64Array(edgesPs.length - 1);
    this.negative = new Float64Array(edgesPs.length - 1);
    this.stream = new PairStream(channelA, channelB, edgesPs.at(-1)!, (a, n, b, m) => this.pair(a, n, b, m));
  }

  /** The bin holding |τ| (binary search over the integer edges: exact). */
  private bin(abs: number): number {
    const e = this.edgesPs;
    let lo = 0;
    let hi = e.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (e[mid]! <= abs) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Each A with the B in [t − max, t + max): τ ≥ 0 by |τ| into `positive`, τ < 0 into `negative`. */
  private pair(a: Float64Array, n: number, b: Float64Array, m: number): void {
    const max = this.stream.windowPs;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const t = a[i]!;
      while (lo < m && b[lo]! < t - max) lo++;
      while (hi < m && b[hi]! < t + max) hi++;
      for (let j = lo; j < hi; j++) {
        const tau = b[j]! - t;
        if (tau >= 0) this.positive[this.bin(tau)]!++;
        else this.negative[this.bin(-tau - 1)]!++; // integer |τ|: edges[k] < |τ| ⟺ edges[k] ≤ |τ| − 1
      }
    }
  }

  push(channels: Uint8Array, timesPs: Float64Array): void {
    this.stream.push(channels, timesPs);
  }

  /** The histogram so far; A events still waiting are paired first (the stream ends here). */
  histogram(): LogHistogram {
    this.stream.finish();
    return {
      channels: [this.channelA, this.channelB],
      edgesPs: this.edgesPs,
      positive: this.positive,
      negative: this.negative,
      singles: [...this.stream.singles],
      spanPs: this.stream.spanPs,
    };
  }
}

/** g2 per bin, normalised by N_A·N_B·width/T; τ as each bin's geometric centre (arithmetic for the core). */
export function normaliseLog(h: LogHistogram): Array<{ tauPs: number; g2: number; counts: number }> {
  const rows: Array<{ tauPs: number; g2: number; counts: number }> = [];
  const scale = h.spanPs > 0 ? (h.singles[0] * h.singles[1]) / h.spanPs : 0;
  const e = h.edgesPs;
  const centre = (k: number) => (k === 0 ? (e[0]! + e[1]!) / 2 : Math.sqrt(e[k]! * e[k + 1]!));
  for (let k = e.length - 2; k >= 0; k--)
    rows.push({
      tauPs: -centre(k),
      counts: h.negative[k]!,
      g2: h.negative[k]! / (scale * (e[k + 1]! - e[k]!)),
    });
  for (let k = 0; k < e.length - 1; k++)
    rows.push({
      tauPs: centre(k),
      counts: h.positive[k]!,
      g2: h.positive[k]! / (scale * (e[k + 1]! - e[k]!)),
    });
  return rows;
}
