/**
 * The latest N latencies of one kind (ms) in a ring, for a quantile on demand: how long the
 * broker takes to acknowledge a QoS 1 publish, as operations want it in telemetry and /metrics.
 */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(size = 1024) {
    this.samples = new Float64Array(size);
  }

  record(ms: number): void {
    this.samples[this.count++ % this.samples.length] = ms;
  }

  /** The q-quantile of the samples held (0 with none), rounded to 0.1 ms. */
  quantile(q: number): number {
    const n = Math.min(this.count, this.samples.length);
    if (n === 0) return 0;
    const sorted = this.samples.slice(0, n).sort();
    return Math.round(sorted[Math.min(n - 1, Math.floor(q * n))]! * 10) / 10;
  }
}
