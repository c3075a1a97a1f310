/**
 * Bytes arriving in pieces (a pipe's 64 KB reads) taken out in frames: pieces are joined only when
 * a frame spans them, so a 9 MB frame costs one copy, not one per piece.
 */
export class ByteQueue {
  private pieces: Buffer[] = [];
  length = 0;

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    this.length += piece.length;
  }

  /** The first `n` bytes, left in the queue (n ≤ length). */
  peek(n: number): Buffer {
    if (this.pieces[0]!.length < n) this.pieces = [Buffer.concat(this.pieces)];
    return this.pieces[0]!.subarray(0, n);
  }

  /** The first `n` bytes, out of the queue (n ≤ length). */
  take(n: number): Buffer {
    const out = this.peek(n);
    const first = this.pieces[0]!;
    if (first.length === n) this.pieces.shift();
    else this.pieces[0] = first.subarray(n);
    this.length -= n;
    return out;
  }

  /** The text up to the first newline, out of the queue (without it); undefined: no whole line yet. */
  takeLine(): string | undefined {
    if (this.length === 0) return undefined;
    const all = this.peek(this.length);
    const end = all.indexOf(0x0a);
    if (end < 0) return undefined;
    const line = all.toString("utf8", 0, end);
    this.take(end + 1);
    return line;
  }
}
