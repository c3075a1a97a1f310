/**
 * The serial/USB time-tagger's binary stream: frames of time tags, each self-delimiting and
 * checksummed so a receiver can join the stream at any byte and resynchronise after noise.
 *
 *   offset  size  field (all little-endian)
 *   0       2     magic 0xA5 0x5A
 *   2       1     version, 1
 *   3       1     flags: bit 0 = the tagger overflowed and dropped tags before this frame
 *   4       4     frame sequence number, +1 per frame, wraps at 2^32
 *   8       8     end time, ps: the tagger's clock when the frame closed; every tag in it is earlier
 *   16      2     record count N, 0…1024 (a frame with N = 0 is a heartbeat)
 *   18      8·N   records, u64: bits 63–56 input channel, bits 55–0 time in ps since the stream started
 *   18+8N   2     CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over bytes 2 … 17+8N
 *
 * Times are integer picoseconds; a Float64Array holds them exactly below 2^53 ps (≈ 104 days),
 * so a record at or beyond that is refused.
 */

export const FRAME_MAGIC = [0xa5, 0x5a] as const;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 18;
export const FRAME_MAX_RECORDS = 1024;
export const FLAG_OVERFLOW = 0x01;
const TWO_32 = 2 ** 32;
const MAX_EXACT_HIGH_WORD = 2 ** 21; // 2^21 · 2^32 = 2^53

/** CRC-16/CCITT-FALSE, table-driven (one lookup per byte). */
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

export function crc16Ccitt(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

export interface TagFrame {
  sequence: number;
  overflow: boolean;
  endTimePs: number;
  channels: Uint8Array;
  timesPs: Float64Array;
}

export function encodeFrame(frame: TagFrame): Uint8Array {
  const n = frame.channels.length;
  if (n > FRAME_MAX_RECORDS)
    throw new RangeError(`a frame holds at most ${FRAME_MAX_RECORDS} records, not ${n}`);
  const bytes = new Uint8Array(FRAME_HEADER_BYTES + 8 * n + 2);
  const view = new DataView(bytes.buffer);
  bytes[0] = FRAME_MAGIC[0];
  bytes[1] = FRAME_MAGIC[1];
  bytes[2] = FRAME_VERSION;
  bytes[3] = frame.overflow ? FLAG_OVERFLOW : 0;
  view.setUint32(4, frame.sequence >>> 0, true);
  view.setUint32(8, frame.endTimePs % TWO_32, true);
  view.setUint32(12, Math.floor(frame.endTimePs / TWO_32), true);
  view.setUint16(16, n, true);
  for (let i = 0; i < n; i++) {
    const t = frame.timesPs[i]!;
    const at = FRAME_HEADER_BYTES + 8 * i;
    view.setUint32(at, t % TWO_32, true);
    view.setUint32(at + 4, ((frame.channels[i]! << 24) | Math.floor(t / TWO_32)) >>> 0, true);
  }
  view.setUint16(FRAME_HEADER_BYTES + 8 * n, crc16Ccitt(bytes, 2, FRAME_HEADER_BYTES + 8 * n), true);
  return bytes;
}

export interface DecoderCounters {
  frames: number;
  records: number;
  /** Frames whose CRC did not match, or whose fields are impossible; their bytes are skipped. */
  badFrames: number;
  /** Bytes skipped while looking for a frame start. */
  skippedBytes: number;
  /** Frames missing from the sequence (lost on the line or by the tagger). */
  lostFrames: number;
  /** Frames flagged by the tagger as following an overflow. */
  overflowFrames: number;
}

/** Incremental decoder: push bytes as they arrive, get whole frames out. */
export class TagFrameDecoder {
  private buffer = new Uint8Array(0);
  private lastSequence: number | undefined;
  readonly counters: DecoderCounters = {
    frames: 0,
    records: 0,
    badFrames: 0,
    skippedBytes: 0,
    lostFrames: 0,
    overflowFrames: 0,
  };

  push(bytes: Uint8Array): TagFrame[] {
    let joined = bytes;
    if (this.buffer.length > 0) {
      joined = new Uint8Array(this.buffer.length + bytes.length);
      joined.set(this.buffer);
      joined.set(bytes, this.buffer.length);
    }
    const frames: TagFrame[] = [];
    let at = 0;
    while (joined.length - at >= FRAME_HEADER_BYTES + 2) {
      if (
        joined[at] !== FRAME_MAGIC[0] ||
        joined[at + 1] !== FRAME_MAGIC[1] ||
        joined[at + 2] !== FRAME_VERSION
      ) {
        at++;
        this.counters.skippedBytes++;
        continue;
      }
      const view = new DataView(joined.buffer, joined.byteOffset + at);
      const n = view.getUint16(16, true);
      if (n > FRAME_MAX_RECORDS) {
        this.reject();
        at++;
        this.counters.skippedBytes++;
        continue;
      }
      const size = FRAME_HEADER_BYTES + 8 * n + 2;
      if (joined.length - at < size) break;
      const frame = this.decodeAt(joined, at, n);
      if (!frame) {
        this.reject();
        at++;
        this.counters.skippedBytes++;
        continue;
      }
      frames.push(frame);
      at += size;
    }
    this.buffer = joined.slice(at);
    return frames;
  }

  private reject(): void {
    this.counters.badFrames++;
  }

  private decodeAt(bytes: Uint8Array, at: number, n: number): TagFrame | undefined {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at);
    const crcAt = FRAME_HEADER_BYTES + 8 * n;
    if (view.getUint16(crcAt, true) !== crc16Ccitt(bytes, at + 2, at + crcAt)) return undefined;
    const endHigh = view.getUint32(12, true);
    if (endHigh >= MAX_EXACT_HIGH_WORD) return undefined;
    const channels = new Uint8Array(n);
    const timesPs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const low = view.getUint32(FRAME_HEADER_BYTES + 8 * i, true);
      const high = view.getUint32(FRAME_HEADER_BYTES + 8 * i + 4, true);
      const timeHigh = high & 0xffffff;
      if (timeHigh >= MAX_EXACT_HIGH_WORD) return undefined;
      channels[i] = high >>> 24;
      timesPs[i] = timeHigh * TWO_32 + low;
    }
    const sequence = view.getUint32(4, true);
    if (this.lastSequence !== undefined)
      this.counters.lostFrames += (sequence - this.lastSequence - 1 + TWO_32) % TWO_32;
    this.lastSequence = sequence;
    const overflow = (bytes[at + 3]! & FLAG_OVERFLOW) !== 0;
    if (overflow) this.counters.overflowFrames++;
    this.counters.frames++;
    this.counters.records += n;
    return { sequence, overflow, endTimePs: endHigh * TWO_32 + view.getUint32(8, true), channels, timesPs };
  }
}
