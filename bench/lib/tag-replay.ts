/**
 * Two independent Poisson streams (the 2 × 5 Mcps load of the live-correlation targets), made
 * once and replayed without end: each pass re-sent with the epoch moved on by the block's
 * length, about once per integration period — a little more often than a tagger moves it.
 */
import { cwEmitterTags, poissonStreams } from "../../sim/cw-emitter.js";
import { Rng } from "../../sim/random.js";

const TWO_32 = 2 ** 32;
/** One replayed block: 240 · 2^32 ps ≈ 1.03 s of tags. */
const BLOCK_PS = 240 * TWO_32;

export interface TagChunk {
  channels: Uint8Array;
  timesPs: Float64Array;
  epochPs: number;
}

export type Replay = (count: number, sink: (chunk: TagChunk) => void) => void;

/** Channels 1 and 2 at `ratePerChannel` each; returns a replay factory (each replay starts at the block's start). */
export function twoStreamReplay(ratePerChannel: number, seed = 4): () => Replay {
  const block = [...cwEmitterTags(new Rng(seed), poissonStreams(ratePerChannel, [1, 2]), BLOCK_PS)];
  const times = new Float64Array(block.reduce((n, b) => n + b.timesPs.length, 0));
  const channels = new Uint8Array(times.length);
  for (let at = 0, k = 0; k < block.length; at += block[k]!.timesPs.length, k++) {
    times.set(block[k]!.timesPs, at);
    channels.set(block[k]!.channels, at);
  }
  return () => {
    let at = 0;
    let epoch = 0;
    return (count, sink) => {
      let left = count;
      while (left > 0) {
        const take = Math.min(left, times.length - at);
        sink({
          channels: channels.subarray(at, at + take),
          timesPs: times.subarray(at, at + take),
          epochPs: epoch,
        });
        at += take;
        left -= take;
        if (at === times.length) {
          at = 0;
          epoch += BLOCK_PS;
        }
      }
    };
  };
}
