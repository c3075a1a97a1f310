/**
 * Worker thread of the parallel correlation (parallel.ts): pairs the A events of each slice it is
 * given with the B events of the slice and its context, for every histogram of the run, and keeps
 * the counts until the period (or the run) is finished; gives each slice's buffer back for reuse.
 * Messages arrive in order, so a period's `finish` follows all of that period's slices.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PairEngine } from "./pair-kernel.js";
import type { SliceJob } from "./slices.js";

export interface SliceHistogram {
  channelA: number;
  channelB: number;
  windowPs: number;
  /** The histogram's bin, ps (the fine one). */
  binPs: number;
}

export type SliceRequest =
  | { type: "slice"; job: SliceJob }
  | { type: "finish"; period: number }
  | { type: "discard" };

export type SliceReply =
  | { type: "done"; tags: number; buffer: ArrayBuffer }
  | {
      type: "counts";
      period: number;
      histograms: Array<{ counts: Float64Array; singles: [number, number] }>;
    };

const port = parentPort;
if (!port) throw new Error("slice-worker.js runs only as a worker thread");
const histograms = workerData as SliceHistogram[];
const engines = histograms.map(
  (h) => new PairEngine(h.channelA, h.channelB, h.windowPs, h.binPs, (2 * h.windowPs) / h.binPs),
);

port.on("message", (message: SliceRequest) => {
  if (message.type === "finish") {
    const out = engines.map((e) => ({
      counts: Float64Array.from(e.counts()),
      singles: [...e.singles] as [number, number],
    }));
    for (const e of engines) e.reset();
    port.postMessage(
      { type: "counts", period: message.period, histograms: out } satisfies SliceReply,
      out.map((h) => h.counts.buffer as ArrayBuffer),
    );
    return;
  }
  if (message.type === "discard") {
    for (const e of engines) e.reset();
    return;
  }
  const { before, slice, after } = message.job;
  const last = after.timesPs.at(-1) ?? slice.timesPs.at(-1);
  for (const engine of engines) {
    engine.clearTimes();
    engine.push(before.channels, before.timesPs, true);
    engine.push(slice.channels, slice.timesPs);
    engine.push(after.channels, after.timesPs, true);
    if (last !== undefined) engine.finish(last);
  }
  const buffer = slice.timesPs.buffer as ArrayBuffer;
  port.postMessage({ type: "done", tags: slice.channels.length, buffer } satisfies SliceReply, [buffer]);
});
