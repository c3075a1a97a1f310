/**
 * Tags per channel (0–255) of a stretch of stream, for the rates. Counted into four tables, tag i
 * into table i mod 4, summed when read: with one table every tag of the busy channels would chain
 * its increment to the previous one through memory, 2.5× slower.
 */
export class ChannelTally {
  private readonly tables = new Uint32Array(4 * 256);

  add(channels: Uint8Array): void {
    const c = this.tables;
    const n = channels.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      c[channels[i]!]!++;
      c[256 + channels[i + 1]!]!++;
      c[512 + channels[i + 2]!]!++;
      c[768 + channels[i + 3]!]!++;
    }
    for (; i < n; i++) c[channels[i]!]!++;
  }

  /** Tags per channel so far (the four tables summed); `into` accumulates several tallies. */
  perChannel(into = new Float64Array(256)): Float64Array {
    const c = this.tables;
    for (let ch = 0; ch < 256; ch++) into[ch]! += c[ch]! + c[256 + ch]! + c[512 + ch]! + c[768 + ch]!;
    return into;
  }

  clear(): void {
    this.tables.fill(0);
  }
}
