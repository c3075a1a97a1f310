/** Two independent Poisson channels merged into one time-ordered stream (channels 1 and 2). */
import { Rng } from "../../sim/random.js";

export function poissonPair(seed: number, rateCps: number, durationPs: number) {
  const rng = new Rng(seed);
  const meanGapPs = 1e12 / (2 * rateCps);
  const n = Math.ceil((durationPs / meanGapPs) * 1.01) + 16;
  const channels = new Uint8Array(n);
  const timesPs = new Float64Array(n);
  let t = 0;
  let i = 0;
  // A merged pair of Poisson streams is one Poisson stream at twice the rate, each tag to either side.
  for (; i < n; i++) {
    t += Math.max(1, Math.round(rng.exponential(meanGapPs)));
    if (t >= durationPs) break;
    timesPs[i] = t;
    channels[i] = rng.uniform() < 0.5 ? 1 : 2;
  }
  return { channels: channels.subarray(0, i), timesPs: timesPs.subarray(0, i) };
}
