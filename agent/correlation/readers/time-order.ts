/**
 * Each channel's times must not go back: the pair kernels walk every channel's times forwards
 * and rely on it (random records read out of their memory). And every time must lie within
 * 0 … MAX_TIME_PS of the file's start (random quTAG records reach ±2^64 ps, which the kernels'
 * 64-bit integers cannot hold). Checked on every decoded chunk
 * before anything correlates it: a time that goes back is a contradiction of the file (exit 3),
 * or, with --force, the record is dropped and counted.
 */
import type { DecodedChunk } from "./ptu-records.js";

/** No acquisition runs for 2^62 ps (53 days): a later time is not a tag (the kernels' 64-bit integers end at 2^63). */
export const MAX_TIME_PS = 2 ** 62;

export class ChannelOrder {
  private readonly last = new Float64Array(256).fill(Number.NEGATIVE_INFINITY);
  /** Records dropped because their channel's time went back (--force). */
  dropped = 0;
  private seen = 0;

  /**
   * The chunk with its out-of-order records dropped (in place: the arrays are the decoder's), or,
   * without `force`, the description of the first one via `refuse`.
   */
  check(chunk: DecodedChunk, force: boolean, refuse: (message: string) => never): DecodedChunk {
    const { channels, timesPs, dtimesPs } = chunk;
    const last = this.last;
    let kept = 0;
    for (let i = 0; i < channels.length; i++) {
      const channel = channels[i]!;
      const t = timesPs[i]!;
      const inRange = t >= 0 && t <= MAX_TIME_PS;
      if (!inRange || t < last[channel]!) {
        if (!force)
          refuse(
            inRange
              ? `channel ${channel} goes back in time at record ${this.seen + i} (${t} ps after ${last[channel]} ps): the records are not time tags in order`
              : `record ${this.seen + i} lies at ${t} ps from the file's start, outside 0 … 2^62 ps (53 days): not a time tag`,
          );
        this.dropped++;
        continue;
      }
      last[channel] = t;
      if (kept !== i) {
        channels[kept] = channel;
        timesPs[kept] = t;
        if (dtimesPs) dtimesPs[kept] = dtimesPs[i]!;
      }
      kept++;
    }
    this.seen += channels.length;
    if (kept === channels.length) return chunk;
    return {
      channels: channels.subarray(0, kept),
      timesPs: timesPs.subarray(0, kept),
      ...(dtimesPs ? { dtimesPs: dtimesPs.subarray(0, kept) } : {}),
    };
  }
}
