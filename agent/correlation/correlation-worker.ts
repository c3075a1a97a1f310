/**
 * Worker-thread entry for the live correlator: the settings come as workerData; each message is a
 * batch of tags (its buffers transferred, not copied). After each batch it acknowledges the tags
 * (the main thread's backlog) and posts any measurements a finished period produced.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LiveCorrelationEngine, type LiveSettings } from "./live-engine.js";

export interface TagBatchMessage {
  id: number;
  channels: Uint8Array;
  timesPs: Float64Array;
  epochPs: number;
}

export type WorkerReply =
  | { type: "ack"; id: number; tags: number; periods: number; restarts: number }
  | { type: "measurement"; name: string; payload: Record<string, unknown> };

const port = parentPort;
if (!port) throw new Error("correlation-worker.js runs only as a worker thread");
const engine = new LiveCorrelationEngine(workerData as LiveSettings);
port.on("message", (batch: TagBatchMessage) => {
  const measurements = engine.push(batch);
  port.postMessage({
    type: "ack",
    id: batch.id,
    tags: batch.channels.length,
    periods: engine.periods,
    restarts: engine.restarts,
  } satisfies WorkerReply);
  for (const m of measurements) port.postMessage({ type: "measurement", ...m } satisfies WorkerReply);
});
