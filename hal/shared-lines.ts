/**
 * GPIO lines another thread can read and drive without the main thread — how the interlock guard
 * (agent/services/interlock-guard.ts) holds a laser's permit while the main event loop is busy.
 * A line is either a slot in a `LineTable` (shared memory: the simulated bench's lines) or the
 * kernel's sysfs value file (hardware; onoff exported it and set `active_low`, so the file holds
 * the logical level). Accesses here are synchronous: the guard's thread does nothing else.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import type { BinaryValue, LineShare } from "./interfaces.js";

/** A monotonic clock in ms that reads the same in every thread of the process (CLOCK_MONOTONIC). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const HEADER_WORDS = 2; // [0] slot count, [1] spare: keeps the times 8-byte aligned

/** Views of a table's buffer: levels (Int32) and when each level last changed (Float64, monotonicMs). */
function views(buffer: SharedArrayBuffer): { levels: Int32Array; changedAtMs: Float64Array } {
  const slots = new Int32Array(buffer, 0, 1)[0]!;
  const levelBytes = (HEADER_WORDS + slots) * 4;
  return {
    levels: new Int32Array(buffer, 0, HEADER_WORDS + slots),
    changedAtMs: new Float64Array(buffer, Math.ceil(levelBytes / 8) * 8, slots),
  };
}

/** Line levels in shared memory, one slot per line. */
export class LineTable {
  readonly buffer: SharedArrayBuffer;
  private readonly levels: Int32Array;
  private readonly changedAt: Float64Array;
  private used = 0;

  constructor(readonly slots = 64) {
    const levelBytes = (HEADER_WORDS + slots) * 4;
    this.buffer = new SharedArrayBuffer(Math.ceil(levelBytes / 8) * 8 + slots * 8);
    new Int32Array(this.buffer, 0, 1)[0] = slots;
    ({ levels: this.levels, changedAtMs: this.changedAt } = views(this.buffer));
  }

  allocate(initial: BinaryValue): number {
    if (this.used >= this.slots) throw new Error(`the line table holds ${this.slots} lines`);
    const index = this.used++;
    this.write(index, initial);
    return index;
  }

  read(index: number): BinaryValue {
    return Atomics.load(this.levels, HEADER_WORDS + index) as BinaryValue;
  }

  write(index: number, value: BinaryValue): void {
    writeSlot(this.levels, this.changedAt, index, value);
  }

  /** When the slot's level last changed, monotonicMs. */
  changedAtMs(index: number): number {
    return this.changedAt[index]!;
  }

  share(index: number): LineShare {
    return { kind: "memory", buffer: this.buffer, index };
  }
}

function writeSlot(levels: Int32Array, changedAt: Float64Array, index: number, value: BinaryValue): void {
  if (Atomics.exchange(levels, HEADER_WORDS + index, value) !== value || changedAt[index] === 0)
    changedAt[index] = monotonicMs();
}

/** Synchronous access to one shared line, from any thread. */
export interface LineAccess {
  read(): BinaryValue;
  write(value: BinaryValue): void;
  close(): void;
}

export function openLineAccess(spec: LineShare): LineAccess {
  if (spec.kind === "memory") {
    const { levels, changedAtMs } = views(spec.buffer);
    return {
      read: () => Atomics.load(levels, HEADER_WORDS + spec.index) as BinaryValue,
      write: (value) => writeSlot(levels, changedAtMs, spec.index, value),
      close: () => {},
    };
  }
  const fd = openSync(spec.valuePath, "r+");
  const byte = Buffer.alloc(1);
  return {
    read: () => {
      if (readSync(fd, byte, 0, 1, 0) !== 1) throw new Error(`${spec.valuePath} is empty`);
      if (byte[0] === 0x30) return 0;
      if (byte[0] === 0x31) return 1;
      throw new Error(`${spec.valuePath} holds ${JSON.stringify(byte.toString("latin1"))}, not 0 or 1`);
    },
    write: (value) => {
      writeSync(fd, value ? "1" : "0", 0);
    },
    close: () => closeSync(fd),
  };
}
