/**
 * The serial/USB time-tagger's binary stream: frames of time tags, each self-delimiting and
 * checksummed so a receiver can join the stream at any byte and resynchronise after noise.
 *
 *   offset  size  field (all little-endian)
 *   0       2     magic 0xA5 0x5A
 *   2       1     version, 1
 *   3       1     flags: bit 0 = the tagger overflowed and dropped tags before this frame
 *   4       4     frame sequence number, +1 per frame, wraps at 2^32
 *   8       8     end time, ps: the tagger's clock when the frame closed; every tag in it is earlier,
 *                 and no tag of a later frame is
 *   16      2     record count N, 0…1024 (a frame with N = 0 is a heartbeat)
 *   18      8·N   records, u64: bits 63–56 input channel, bits 55–0 the low 56 bits of the tagger's
 *                 clock in ps (it wraps every 2^56 ps ≈ 20 h; the frame's end time places it)
 *   18+8N   2     CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over bytes 2 … 17+8N
 *
 * The clock counts ps from STREAM ON in 64 bits (213 days). A float64 holds integers exactly only
 * below 2^53 ps (2.5 hours), so decoded times are relative to an epoch, a whole multiple of 2^32 ps
 * that the decoder moves up every 2^52 ps (1.25 h): `epochPs + timesPs[i]` is the tagger's time,
 * and `timesPs` stay exact however long the stream runs.
 */

export const FRAME_MAGIC = [0xa5, 0x5a] as const;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 18;
export const FRAME_MAX_RECORDS = 1024;
export const FLAG_OVERFLOW = 0x01;
const TWO_32 = 2 ** 32;
const TWO_24 = 2 ** 24;
/** Move the epoch when the clock is this many 2^32 ps past it (2^52 ps); times stay below 2^53. */
const REBASE_HIGH_WORDS = 2 ** 20;

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
  /** A whole multiple of 2^32 ps; `endTimePs` and `timesPs` count from it. */
  epochPs: number;
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
  const epochHigh = frame.epochPs / TWO_32;
  if (!Number.isInteger(epochHigh) || epochHigh < 0)
    throw new RangeError(`epoch ${frame.epochPs} ps is not a multiple of 2^32 ps`);
  view.setUint32(8, frame.endTimePs % TWO_32, true);
  view.setUint32(12, epochHigh + Math.floor(frame.endTimePs / TWO_32), true);
  view.setUint16(16, n, true);
  for (let i = 0; i < n; i++) {
    const t = frame.timesPs[i]!;
    const at = FRAME_HEADER_BYTES + 8 * i;
    const high = (epochHigh + Math.floor(t / TWO_32)) % TWO_24;
    view.setUint32(at, t % TWO_32, true);
    view.setUint32(at + 4, ((frame.channels[i]! << 24) | high) >>> 0, true);
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
  /** The epoch's high word (epoch = epochHigh · 2^32 ps). */
  private epochHigh: number | undefined;
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
    // Move the epoch up as the clock runs, or down when the tagger restarted its clock.
    if (
      this.epochHigh === undefined ||
      endHigh < this.epochHigh ||
      endHigh - this.epochHigh >= REBASE_HIGH_WORDS
    )
      this.epochHigh = endHigh;
    const epochHigh = this.epochHigh;
    const endWrap = endHigh - (endHigh % TWO_24);
    const channels = new Uint8Array(n);
    const timesPs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const low = view.getUint32(FRAME_HEADER_BYTES + 8 * i, true);
      const high = view.getUint32(FRAME_HEADER_BYTES + 8 * i + 4, true);
      // The record's 56-bit time, placed in the 2^56 ps turn of the frame's end (it is not later).
      let timeHigh = endWrap + (high & 0xffffff);
      if (timeHigh > endHigh) timeHigh -= TWO_24;
      channels[i] = high >>> 24;
      timesPs[i] = (timeHigh - epochHigh) * TWO_32 + low;
    }
    const sequence = view.getUint32(4, true);
    if (this.lastSequence !== undefined)
      this.counters.lostFrames += (sequence - this.lastSequence - 1 + TWO_32) % TWO_32;
    this.lastSequence = sequence;
    const overflow = (bytes[at + 3]! & FLAG_OVERFLOW) !== 0;
    if (overflow) this.counters.overflowFrames++;
    this.counters.frames++;
    this.counters.records += n;
    return {
      sequence,
      overflow,
      epochPs: epochHigh * TWO_32,
      endTimePs: (endHigh - epochHigh) * TWO_32 + view.getUint32(8, true),
      channels,
      timesPs,
    };
  }
}
