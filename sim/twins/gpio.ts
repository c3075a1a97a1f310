/**
 * Simulated GPIO lines: outputs drive the bench (laser interlock permit, detector readout
 * enable); inputs read a bench signal and fire edges when it changes, like a line with an edge
 * interrupt. Values are logical (after active-low), as the HAL's GpioLine promises. Each level
 * lives in a slot of the bench's shared line table, so the interlock guard's thread reads the
 * door and drives the permit as it would the kernel's lines (hal/shared-lines.ts).
 */
import { BusError, DeviceGone } from "../../hal/errors.js";
import type { BinaryValue, GpioLine } from "../../hal/interfaces.js";
import type { LineTable } from "../../hal/shared-lines.js";
import type { SimBench } from "../bench.js";

export function simOutputLine(
  device: string,
  line: number,
  initial: BinaryValue,
  onWrite: (value: BinaryValue) => void,
  table: LineTable,
): GpioLine {
  const slot = table.allocate(initial);
  let closed = false;
  onWrite(initial);
  return {
    line,
    direction: "out",
    read: async () => table.read(slot),
    write: async (v) => {
      if (closed) throw new DeviceGone(`GPIO ${line} is closed`, { device, command: `write ${v}` });
      table.write(slot, v);
      onWrite(v);
    },
    // Another thread wrote the slot: the bench reacts as to a write from here.
    share: () => ({ spec: table.share(slot), written: onWrite }),
    watch: () => {
      throw new BusError(`GPIO ${line} is an output`, { device });
    },
    close: async () => {
      closed = true;
    },
  };
}

export function simInputLine(
  device: string,
  line: number,
  level: () => BinaryValue,
  bench: SimBench,
  table: LineTable,
): GpioLine {
  const listeners = new Set<(value: BinaryValue) => void>();
  let last = level();
  const slot = table.allocate(last);
  const unwatch = bench.onChange(() => {
    const now = level();
    if (now === last) return;
    last = now;
    table.write(slot, now);
    for (const listener of listeners) listener(now);
  });
  return {
    line,
    direction: "in",
    read: async () => table.read(slot), // the line's level, also when another thread set it
    write: async () => {
      throw new BusError(`GPIO ${line} is an input`, { device });
    },
    watch: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    share: () => ({ spec: table.share(slot) }),
    close: async () => {
      listeners.clear();
      unwatch();
    },
  };
}
