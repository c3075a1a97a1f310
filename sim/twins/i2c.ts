/**
 * The simulated I²C adapters: chips by address, and the I2cBus each device opens. A transfer to
 * an address with no chip, or from a device that is unplugged, gets no acknowledge (DeviceGone),
 * as on a real bus.
 */
import { BusError, DeviceGone } from "../../hal/errors.js";
import type { I2cBus } from "../../hal/interfaces.js";
import type { SimBench } from "../bench.js";

/** What a simulated chip implements; register calls carry the pointer byte first. */
export interface I2cTarget {
  writeRegister?(register: number, bytes: Uint8Array): void;
  readRegister?(register: number, length: number): Uint8Array;
  writeRaw?(bytes: Uint8Array): void;
  readRaw?(length: number): Uint8Array;
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, "0")}`;

export function openSimI2cBus(
  device: string,
  busNumber: number,
  chips: ReadonlyMap<number, I2cTarget>,
  bench: SimBench,
): I2cBus {
  let closed = false;
  const chip = (address: number, command: string): I2cTarget => {
    if (closed) throw new DeviceGone(`i2c-${busNumber} is closed`, { device, command });
    const target = chips.get(address);
    if (!target || bench.unplugged.has(device))
      throw new DeviceGone(`${command}: no acknowledge from ${hex(address)} on i2c-${busNumber}`, {
        device,
        command,
      });
    return target;
  };
  const need = <F>(method: F | undefined, command: string, address: number): F => {
    if (method === undefined)
      throw new BusError(`${command}: not supported by the chip at ${hex(address)}`, { device, command });
    return method;
  };
  const op = async <T>(command: string, address: number, run: (t: I2cTarget) => T): Promise<T> =>
    run(chip(address, command));
  const reg = (address: number, register: number, what: string) =>
    `${what} i2c-${busNumber} ${hex(address)} reg ${hex(register)}`;
  const read = (a: number, r: number, n: number, what: string) => {
    const command = reg(a, r, what);
    return op(command, a, (t) => need(t.readRegister, command, a).call(t, r, n));
  };
  const write = (a: number, r: number, bytes: Uint8Array, what: string) => {
    const command = reg(a, r, what);
    return op(command, a, (t) => need(t.writeRegister, command, a).call(t, r, bytes));
  };
  return {
    busNumber,
    readByte: async (a, r) => (await read(a, r, 1, "read byte"))[0]!,
    writeByte: (a, r, v) => write(a, r, Uint8Array.of(v), "write byte"),
    readWord: async (a, r) => {
      const b = await read(a, r, 2, "read word");
      return b[0]! | (b[1]! << 8);
    },
    writeWord: (a, r, v) => write(a, r, Uint8Array.of(v & 0xff, v >> 8), "write word"),
    readBlock: (a, r, n) => read(a, r, n, "read block"),
    writeBlock: (a, r, bytes) => write(a, r, bytes, "write block"),
    readRaw: (a, n) => {
      const command = `read i2c-${busNumber} ${hex(a)}`;
      return op(command, a, (t) => need(t.readRaw, command, a).call(t, n));
    },
    writeRaw: (a, bytes) => {
      const command = `write i2c-${busNumber} ${hex(a)}`;
      return op(command, a, (t) => need(t.writeRaw, command, a).call(t, bytes));
    },
    close: async () => {
      closed = true;
    },
  };
}
