/**
 * Each channel's times must not go back: the pair kernels walk every channel's times forwards
 * and rely on it (random records read out of their memory). Checked on every decoded chunk
 * before anything correlates it: a time that goes back is a contradiction of the file (exit 3),
 * or, with --force, the record is dropped and counted.
 */
import type { DecodedChunk } from "./ptu-records.js";

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
      if (t < last[channel]!) {
        if (!force)
          refuse(
            `channel ${channel} goes back in time at record ${this.seen + i} (${t} ps after ${last[channel]} ps): the records are not time tags in order`,
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
