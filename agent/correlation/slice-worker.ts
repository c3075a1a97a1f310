/**
 * Worker thread of the parallel correlator (parallel.ts): pairs the A events of each slice it is
 * given with the B events of the slice and of its context before and after, into one histogram
 * kept for the whole run; returns each slice's buffer for reuse, and the counts at the end.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PairEngine } from "./pair-kernel.js";

export interface SliceSettings {
  channelA: number;
  channelB: number;
  windowPs: number;
  binPs: number;
}

interface Events {
  channels: Uint8Array;
  timesPs: Float64Array;
}

export interface SliceJob {
  before: Events;
  slice: Events;
  after: Events;
}

export type SliceReply =
  | { type: "done"; buffers: ArrayBuffer[] }
  | { type: "counts"; counts: Float64Array; singles: [number, number] };

const port = parentPort;
if (!port) throw new Error("slice-worker.js runs only as a worker thread");
const s = workerData as SliceSettings;
const engine = new PairEngine(s.channelA, s.channelB, s.windowPs, s.binPs, (2 * s.windowPs) / s.binPs);
port.on("message", (message: SliceJob | { finish: true }) => {
  if ("finish" in message) {
    const counts = engine.counts();
    port.postMessage({ type: "counts", counts, singles: [...engine.singles] } satisfies SliceReply, [
      counts.buffer as ArrayBuffer,
    ]);
    return;
  }
  const { before, slice, after } = message;
  engine.clearTimes();
  engine.push(before.channels, before.timesPs, true);
  engine.push(slice.channels, slice.timesPs);
  engine.push(after.channels, after.timesPs, true);
  const last = after.timesPs.at(-1) ?? slice.timesPs.at(-1);
  if (last !== undefined) engine.finish(last);
  const buffer = slice.timesPs.buffer as ArrayBuffer;
  port.postMessage({ type: "done", buffers: [buffer] } satisfies SliceReply, [buffer]);
});
