/**
 * quTAG binary time tags (`.qutag`): a 40-byte header we do not interpret (it has no documented
 * magic or fields we rely on), then 10-byte little-endian records — a u64 time in ps and a u16
 * channel number, kept as the file numbers it.
 *
 * Times are counted from the first record less the reorder window (`timeOriginPs`, the device's
 * clock there), in exact integer steps, so a file is exact to the picosecond for its first 2.5 h
 * whatever the clock read when it started.
 *
 * The quTAG writes its channels' buffers as they fill, so records are NOT globally time-sorted.
 * They are put in order through a reorder buffer: a record is released once the file has reached
 * `reorderWindowPs` past it, so the output is sorted whenever no record arrives more than that
 * window late. A record later than that (older than one already released) cannot be placed: the
 * file is refused, or with `force` the record is dropped, counted and named in `warnings`.
 */
import { open } from "node:fs/promises";
import { TimeTagFileError } from "./errors.js";
import { type DecodeCounters, type DecodedChunk, newCounters } from "./ptu-records.js";
import { ReorderBuffer } from "./reorder-buffer.js";
import { ChannelOrder } from "./time-order.js";
import { checkSpan, type ReadOptions, type TimeTagFile, type TimeTagFileInfo } from "./time-tag-file.js";

export const QUTAG_HEADER_BYTES = 40;
export const QUTAG_RECORD_BYTES = 10;
/** Default reorder window: 10 ms, far beyond the quTAG's buffer flush interval. */
const DEFAULT_REORDER_PS = 10e9;
/** Channels a correlation can address; a quTAG has at most a few dozen inputs. */
const MAX_CHANNEL = 63;

export class QutagFile implements TimeTagFile {
  readonly warnings: string[] = [];
  private state: DecodeCounters | undefined;

  private constructor(
    readonly info: TimeTagFileInfo,
    private readonly options: ReadOptions,
  ) {}

  static async open(file: string, options: ReadOptions = {}): Promise<QutagFile> {
    const handle = await open(file, "r").catch((err: NodeJS.ErrnoException) => {
      throw new TimeTagFileError(file, `cannot open: ${err.code ?? err.message}`);
    });
    const size = (await handle.stat().finally(() => handle.close())).size;
    if (size < QUTAG_HEADER_BYTES)
      throw new TimeTagFileError(
        file,
        `${size} bytes, shorter than the 40-byte quTAG header: truncated file`,
      );
    const dataBytes = size - QUTAG_HEADER_BYTES;
    const qutag = new QutagFile(
      {
        file,
        format: "quTAG",
        recordType: "quTAG binary (u64 ps, u16 channel)",
        recordTypeCode: 0,
        mode: "T2",
        records: Math.floor(dataBytes / QUTAG_RECORD_BYTES),
        resolutionPs: 1,
        header: { version: "", tags: new Map(), headerBytes: QUTAG_HEADER_BYTES },
      },
      options,
    );
    if (dataBytes % QUTAG_RECORD_BYTES !== 0)
      qutag.contradiction(
        `${dataBytes % QUTAG_RECORD_BYTES} stray bytes after the last whole 10-byte record`,
      );
    return qutag;
  }

  private contradiction(message: string): void {
    if (!this.options.force) throw new TimeTagFileError(this.info.file, message, true);
    this.warnings.push(message);
  }

  get counters(): DecodeCounters | undefined {
    return this.state;
  }

  async *chunks(): AsyncGenerator<DecodedChunk> {
    const { info } = this;
    const c: DecodeCounters = { ...newCounters(), reordered: 0, dropped: 0 };
    this.state = c;
    const reorder = new ReorderBuffer(this.options.reorderWindowPs ?? DEFAULT_REORDER_PS);
    const order = new ChannelOrder();
    const force = this.options.force ?? false;
    const refuse = (message: string): never => {
      throw new TimeTagFileError(this.info.file, message, true);
    };
    const chunkRecords = this.options.chunkRecords ?? 1 << 20;
    const buffer = Buffer.alloc(chunkRecords * QUTAG_RECORD_BYTES);
    const handle = await open(info.file, "r");
    let badChannels = 0;
    let lateReported = false;
    let origin: { hi: number; lo: number; ps: bigint } | undefined;
    try {
      let position = QUTAG_HEADER_BYTES;
      for (let left = info.records; left > 0; ) {
        const n = Math.min(left, chunkRecords);
        const { bytesRead } = await handle.read(buffer, 0, n * QUTAG_RECORD_BYTES, position);
        if (bytesRead < n * QUTAG_RECORD_BYTES)
          throw new TimeTagFileError(
            info.file,
            `the file shrank while being read (at byte ${position + bytesRead})`,
          );
        const times = new Float64Array(n);
        const channels = new Uint8Array(n);
        let kept = 0;
        for (let i = 0; i < n; i++) {
          const at = i * QUTAG_RECORD_BYTES;
          const channel = buffer.readUInt16LE(at + 8);
          if (channel > MAX_CHANNEL) {
            if (badChannels++ === 0)
              this.contradiction(
                `record ${c.records + i} (byte ${position + at}) names channel ${channel}; a quTAG has no such input — is this a quTAG binary file?`,
              );
            continue;
          }
          const lo = buffer.readUInt32LE(at);
          const hi = buffer.readUInt32LE(at + 4);
          if (!origin) {
            origin = this.origin(hi, lo, reorder.windowPs);
            c.timeOriginPs = origin.ps.toString();
          }
          // From the origin, in exact integer steps: the device clock may be days in (past 2^53 ps).
          times[kept] = (hi - origin.hi) * 2 ** 32 + (lo - origin.lo);
          channels[kept++] = channel;
        }
        position += bytesRead;
        left -= n;
        c.records += n;
        const late = reorder.push(times.subarray(0, kept), channels.subarray(0, kept));
        if (late && !lateReported) {
          lateReported = true;
          this.contradiction(
            `record near byte ${position} is ${late.byPs} ps older than records already released: more out of time order than the ${reorder.windowPs / 1e9} ms reorder window`,
          );
        }
        const released = order.check(reorder.release(false), force, refuse);
        if (released.timesPs.length > 0) yield this.count(released, c);
      }
      const rest = order.check(reorder.release(true), force, refuse);
      if (rest.timesPs.length > 0) yield this.count(rest, c);
    } finally {
      await handle.close();
    }
    c.reordered = reorder.reordered;
    c.dropped = reorder.dropped + badChannels;
    if (reorder.dropped > 0)
      this.warnings.push(`${reorder.dropped} records arrived too far out of time order and were dropped`);
    if (order.dropped > 0)
      this.warnings.push(`${order.dropped} records dropped: beyond any acquisition's time (--force)`);
    if (reorder.forced > 0)
      this.warnings.push(
        `the reorder buffer filled ${reorder.forced} times before its window passed (times standing still?): its oldest records were released early`,
      );
    if (badChannels > 0)
      this.warnings.push(`${badChannels} records named channels above ${MAX_CHANNEL} and were dropped`);
    checkSpan(c, this.warnings);
  }

  /**
   * The time origin: the first record less the reorder window (an earlier record may follow it),
   * not before 0. Times are counted from it, so a file is exact for 2.5 h from its start.
   */
  private origin(hi: number, lo: number, windowPs: number) {
    const first = (BigInt(hi) << 32n) + BigInt(lo);
    const window = BigInt(Math.round(windowPs));
    const ps = first > window ? first - window : 0n;
    return { hi: Number(ps >> 32n), lo: Number(ps & 0xffffffffn), ps };
  }

  private count(chunk: DecodedChunk, c: DecodeCounters): DecodedChunk {
    for (const ch of chunk.channels) c.photons[ch] = (c.photons[ch] ?? 0) + 1;
    c.lastTimePs = chunk.timesPs[chunk.timesPs.length - 1]!;
    return chunk;
  }
}
