/**
 * Worker thread of the parallel correlation (parallel.ts): counts each slice it is given
 * (slice-counter.ts) and keeps the counts until the period (or the run) is finished; gives each
 * slice's buffer back for reuse. Messages arrive in order, so a period's `finish` follows all of
 * that period's slices.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SliceCounter, type SliceCounts, type SliceHistogram } from "./slice-counter.js";
import type { SliceJob } from "./slices.js";

export type SliceRequest =
  | { type: "slice"; job: SliceJob }
  | { type: "finish"; period: number }
  | { type: "discard" };

export type SliceReply =
  | { type: "done"; tags: number; buffer: ArrayBuffer }
  | { type: "counts"; period: number; counts: SliceCounts };

const port = parentPort;
if (!port) throw new Error("slice-worker.js runs only as a worker thread");
export interface SliceWorkerData {
  histograms: SliceHistogram[];
  /** Slices in flight per worker, shared with the sender: this worker takes one off its own as it finishes one. */
  inFlight: Int32Array;
  index: number;
}

const data = workerData as SliceWorkerData;
const counter = new SliceCounter(data.histograms);

port.on("message", (message: SliceRequest) => {
  if (message.type === "finish") {
    const counts = counter.take();
    port.postMessage({ type: "counts", period: message.period, counts } satisfies SliceReply, [
      ...counts.histograms.map((h) => h.counts.buffer as ArrayBuffer),
      counts.tagsPerChannel.buffer as ArrayBuffer,
    ]);
  } else if (message.type === "discard") counter.discard();
  else {
    counter.count(message.job);
    Atomics.sub(data.inFlight, data.index, 1);
    const buffer = message.job.slice.timesPs.buffer as ArrayBuffer;
    port.postMessage({ type: "done", tags: message.job.slice.channels.length, buffer } satisfies SliceReply, [
      buffer,
    ]);
  }
});
