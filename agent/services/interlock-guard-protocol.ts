/**
 * What the interlock guard's main side and its worker share: the layout of the control words in
 * shared memory, the worker's start data and its messages. See ./interlock-guard.ts.
 */
import type { BinaryValue, LineShare } from "../../hal/interfaces.js";

/** Bumped (and notified) by the main side when it changed something the worker must act on now. */
export const WAKE = 0;
/** Set by the main side: the worker closes its lines and ends. */
export const STOP = 1;
/** Counted up by the worker once per pass: its heartbeat. */
export const LOOPS = 2;
const HEADER = 4;

/** Per input: trips seen by the worker, trips the main side has acted on, the level now (0 safe, 1 tripped, 2 unreadable). */
export const TRIPS = 0;
export const ACKED = 1;
export const NOW = 2;
const INPUT_WORDS = 3;
/** Per laser: the main side holds it (1) or not; the level the worker last wrote (-1 unknown). */
export const HELD = 0;
export const WRITTEN = 1;
const LASER_WORDS = 2;

export const inputWord = (input: number, field: number) => HEADER + INPUT_WORDS * input + field;
export const laserWord = (inputs: number, laser: number, field: number) =>
  HEADER + INPUT_WORDS * inputs + LASER_WORDS * laser + field;
export const controlWords = (inputs: number, lasers: number) => laserWord(inputs, lasers, 0);

/** Float64 statistics the worker keeps: the longest time between two passes, and when it was. */
export const MAX_GAP_MS = 0;
export const STATS_WORDS = 1;

export interface GuardSpec {
  control: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  inputs: Array<{ name: string; line: LineShare; trippedLevel: BinaryValue }>;
  /** Each laser with the inputs (indexes into `inputs`) whose rules cover it. */
  lasers: Array<{ name: string; line: LineShare; inputs: number[] }>;
  /** Between passes when nothing wakes the worker, ms. */
  pollMs: number;
  /** A held permit line is written low again this often, ms (as the main loop re-asserts it). */
  reassertMs: number;
}

export type GuardMessage =
  | { kind: "wrote"; laser: number; value: BinaryValue }
  /** A line that could not be opened, read or written (`message`), or works again (no message). */
  | { kind: "fault"; what: string; message?: string }
  /** Every pass up to the one that read this sync request is done and its messages sent. */
  | { kind: "synced"; id: number };

export type GuardRequest = { kind: "sync"; id: number };
