/**
 * Simulated GPIO lines: outputs drive the bench (laser interlock permit, detector readout
 * enable); inputs read a bench signal and fire edges when it changes, like a line with an edge
 * interrupt. Values are logical (after active-low), as the HAL's GpioLine promises.
 */
import { BusError, DeviceGone } from "../../hal/errors.js";
import type { BinaryValue, GpioLine } from "../../hal/interfaces.js";
import type { SimBench } from "../bench.js";

export function simOutputLine(
  device: string,
  line: number,
  initial: BinaryValue,
  onWrite: (value: BinaryValue) => void,
): GpioLine {
  let value = initial;
  let closed = false;
  onWrite(initial);
  return {
    line,
    direction: "out",
    read: async () => value,
    write: async (v) => {
      if (closed) throw new DeviceGone(`GPIO ${line} is closed`, { device, command: `write ${v}` });
      value = v;
      onWrite(v);
    },
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
): GpioLine {
  const listeners = new Set<(value: BinaryValue) => void>();
  let last = level();
  const unwatch = bench.onChange(() => {
    const now = level();
    if (now === last) return;
    last = now;
    for (const listener of listeners) listener(now);
  });
  return {
    line,
    direction: "in",
    read: async () => level(),
    write: async () => {
      throw new BusError(`GPIO ${line} is an input`, { device });
    },
    watch: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      listeners.clear();
      unwatch();
    },
  };
}
