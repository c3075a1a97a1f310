/**
 * The interlock guard's thread: reads the interlock inputs' lines and drives the lasers' permit
 * lines, a pass every `pollMs` (and at once when the main side wakes it), with nothing else on its
 * event loop — it never yields to one. A laser's permit is low while the main side holds it, while
 * an input covering it reads tripped or cannot be read, and from a trip until the main side has
 * acted on it (latched the rule and held the laser): a door opened and shut while the main loop
 * was busy still leaves the permit low. See ./interlock-guard.ts.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import type { BinaryValue } from "../../hal/interfaces.js";
import { type LineAccess, monotonicMs, openLineAccess } from "../../hal/shared-lines.js";
import {
  ACKED,
  type GuardMessage,
  type GuardRequest,
  type GuardSpec,
  HELD,
  inputWord,
  LOOPS,
  laserWord,
  MAX_GAP_MS,
  NOW,
  STOP,
  TRIPS,
  WAKE,
  WRITTEN,
} from "./interlock-guard-protocol.js";

const spec = workerData as GuardSpec;
const port = parentPort!;
const control = new Int32Array(spec.control);
const stats = new Float64Array(spec.stats);
const post = (message: GuardMessage) => port.postMessage(message);

const faults = new Map<string, string>();
function note(what: string, err?: unknown): void {
  const message = err === undefined ? undefined : err instanceof Error ? err.message : String(err);
  if (faults.get(what) === message) return;
  if (message === undefined) faults.delete(what);
  else faults.set(what, message);
  post({ kind: "fault", what, ...(message === undefined ? {} : { message }) });
}

interface Line {
  what: string;
  spec: GuardSpec["inputs"][number]["line"];
  access?: LineAccess | undefined;
}
const open = (line: Line): LineAccess | undefined => {
  try {
    line.access ??= openLineAccess(line.spec);
    return line.access;
  } catch (err) {
    note(line.what, err); // opened again on the next pass
    return undefined;
  }
};

const inputs = spec.inputs.map((i) => ({
  ...i,
  what: `interlock input ${i.name}`,
  spec: i.line,
  access: undefined as LineAccess | undefined,
  was: false,
}));
const lasers = spec.lasers.map((l) => ({
  ...l,
  what: `laser ${l.name} permit line`,
  spec: l.line,
  access: undefined as LineAccess | undefined,
  written: -1,
  writtenAtMs: 0,
}));

function readInputs(): void {
  inputs.forEach((input, i) => {
    let level = 2;
    try {
      const access = open(input);
      if (access) {
        level = access.read() === input.trippedLevel ? 1 : 0;
        note(input.what);
      }
    } catch (err) {
      note(input.what, err);
    }
    Atomics.store(control, inputWord(i, NOW), level);
    const tripped = level !== 0; // unreadable is unsafe
    if (tripped && !input.was) Atomics.add(control, inputWord(i, TRIPS), 1);
    input.was = tripped;
  });
}

function driveLasers(now: number): void {
  lasers.forEach((laser, j) => {
    const held =
      Atomics.load(control, laserWord(inputs.length, j, HELD)) === 1 ||
      laser.inputs.some(
        (i) =>
          inputs[i]!.was ||
          Atomics.load(control, inputWord(i, TRIPS)) !== Atomics.load(control, inputWord(i, ACKED)),
      );
    const permit: BinaryValue = held ? 0 : 1;
    if (permit === laser.written && !(held && now - laser.writtenAtMs >= spec.reassertMs)) return;
    try {
      const access = open(laser);
      if (!access) throw new Error("not open");
      access.write(permit);
      note(laser.what);
      if (permit !== laser.written) post({ kind: "wrote", laser: j, value: permit });
      laser.written = permit;
      laser.writtenAtMs = now;
    } catch (err) {
      laser.written = -1; // written again on the next pass
      note(laser.what, err);
    }
    Atomics.store(control, laserWord(inputs.length, j, WRITTEN), laser.written);
  });
}

let lastPassMs = monotonicMs();
while (Atomics.load(control, STOP) === 0) {
  const wake = Atomics.load(control, WAKE);
  const syncs: number[] = [];
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port))
    syncs.push((m.message as GuardRequest).id);
  const now = monotonicMs();
  stats[MAX_GAP_MS] = Math.max(stats[MAX_GAP_MS]!, now - lastPassMs);
  lastPassMs = now;
  readInputs();
  driveLasers(now);
  for (const id of syncs) post({ kind: "synced", id });
  Atomics.add(control, LOOPS, 1);
  Atomics.wait(control, WAKE, wake, spec.pollMs);
}
for (const line of [...inputs, ...lasers]) line.access?.close();
