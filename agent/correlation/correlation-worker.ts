/**
 * Worker-thread entry for the live correlator: the settings come as workerData; each message is a
 * batch of tags (its buffers transferred, not copied). It acknowledges the tags once correlated
 * (the main thread's backlog) and posts each measurement as a period's histograms are ready. With
 * `workers` above 1 the pairing is shared with `workers − 1` slice workers of its own
 * (live-parallel.ts); this thread also cuts the periods, counts rates and analyses.
 */
import { parentPort, workerData } from "node:worker_threads";
import { workerUrl } from "../worker-url.js";
import { LiveCorrelationEngine, type LiveSettings } from "./live-engine.js";
import { ParallelHistograms } from "./live-parallel.js";
import { LocalHistograms } from "./period-histograms.js";

export interface TagBatchMessage {
  channels: Uint8Array;
  timesPs: Float64Array;
  epochPs: number;
}

export type WorkerReply =
  | { type: "ack"; tags: number; periods: number; restarts: number }
  | { type: "measurement"; name: string; payload: Record<string, unknown> }
  /** A batch's buffers back, once its tags are copied on: the service reuses them. */
  | { type: "buffers"; channels: ArrayBuffer; times: ArrayBuffer };

const port = parentPort;
if (!port) throw new Error("correlation-worker.js runs only as a worker thread");
const settings = workerData as LiveSettings;
let engine: LiveCorrelationEngine | undefined;
const ack = (tags: number) =>
  port.postMessage({
    type: "ack",
    tags,
    periods: engine?.periods ?? 0,
    restarts: engine?.restarts ?? 0,
  } satisfies WorkerReply);
const parallel = (settings.workers ?? 1) > 1;
engine = new LiveCorrelationEngine(
  settings,
  parallel
    ? new ParallelHistograms(settings, settings.workers!, workerUrl("slice-worker"), ack, (err) => {
        // A slice worker failed: end this thread, and the service restarts it with its pool.
        throw err;
      })
    : new LocalHistograms(settings),
  (m) => port.postMessage({ type: "measurement", ...m } satisfies WorkerReply),
);
port.on("message", (batch: TagBatchMessage) => {
  engine.push(batch);
  if (!parallel) ack(batch.channels.length);
  const channels = batch.channels.buffer as ArrayBuffer;
  const times = batch.timesPs.buffer as ArrayBuffer;
  port.postMessage({ type: "buffers", channels, times } satisfies WorkerReply, [channels, times]);
});
