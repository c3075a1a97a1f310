/**
 * Multi-tau g2(τ): log-spaced bins, so one histogram covers picosecond antibunching and
 * millisecond blinking. Edges are whole picoseconds, symmetric about τ = 0: a linear core
 * [−min, min) in one bin each side, then `perDecade` bins per decade out to ±max. Pair counting
 * is exact and streams over chunks exactly as the linear CrossCorrelator does.
 */
import { TimeWindow } from "./cross-correlation.js";

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
  private readonly a = new TimeWindow();
  private readonly b = new TimeWindow();
  readonly positive: Float64Array;
  readonly negative: Float64Array;
  private readonly maxPs: number;
  private singles: [number, number] = [0, 0];
  private firstPs: number | undefined;
  private lastPs = 0;

  constructor(
    readonly channelA: number,
    readonly channelB: number,
    readonly edgesPs: number[],
  ) {
    this.maxPs = edgesPs.at(-1)!;
    this.positive = new Float64Array(edgesPs.length - 1);
    this.negative = new Float64Array(edgesPs.length - 1);
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

  push(channels: Uint8Array, timesPs: Float64Array): void {
    const { a, b, maxPs } = this;
    if (channels.length === 0) return;
    this.firstPs ??= timesPs[0]!;
    for (let i = 0; i < channels.length; i++) {
      const ch = channels[i]!;
      const t = timesPs[i]!;
      if (ch === this.channelA) {
        this.singles[0]++;
        b.dropUntil(t - maxPs, false); // τ = tB − t ∈ [−max, 0]
        for (let j = b.start; j < b.end; j++) {
          const abs = t - b.buffer[j]!;
          if (abs === 0) this.positive[0]!++;
          else this.negative[this.bin(abs - 1)]!++; // integer |τ|: edges[k] < |τ| ⟺ edges[k] ≤ |τ| − 1
        }
        a.push(t);
      } else if (ch === this.channelB) {
        this.singles[1]++;
        a.dropUntil(t - maxPs, true); // τ = t − tA ∈ [0, max)
        for (let j = a.start; j < a.end; j++) this.positive[this.bin(t - a.buffer[j]!)]!++;
        b.push(t);
      }
    }
    this.lastPs = timesPs[timesPs.length - 1]!;
  }

  histogram(): LogHistogram {
    return {
      channels: [this.channelA, this.channelB],
      edgesPs: this.edgesPs,
      positive: this.positive,
      negative: this.negative,
      singles: [...this.singles],
      spanPs: this.firstPs === undefined ? 0 : this.lastPs - this.firstPs,
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
