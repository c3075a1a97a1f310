/**
 * A door switch on its own thread, as the real one is on its own wire: on each request it waits a
 * random 0–100 ms, then sets the door's line to its tripped level in the simulated bench's line
 * table and answers with the moment it did (monotonicMs). Whether the main thread is busy then is
 * left to chance, as it is on a bench.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { BinaryValue, LineShare } from "../../hal/interfaces.js";
import { monotonicMs, openLineAccess } from "../../hal/shared-lines.js";

const { line, trippedLevel } = workerData as { line: LineShare; trippedLevel: BinaryValue };
const door = openLineAccess(line);
const pause = new Int32Array(new SharedArrayBuffer(4));

parentPort!.on("message", () => {
  Atomics.wait(pause, 0, 0, Math.random() * 100);
  const openedAtMs = monotonicMs();
  door.write(trippedLevel);
  parentPort!.postMessage(openedAtMs);
});
