/**
 * I²C over the i2c-bus package (/dev/i2c-N ioctls). Loaded only when a hardware I²C device is
 * opened. Kernel errors become HAL errors: a target that does not acknowledge its address
 * (ENXIO/EREMOTEIO) is DeviceGone, a transfer the adapter gave up on (ETIMEDOUT/EAGAIN) is a
 * DeviceTimeout, anything else a BusError.
 */
import type { PromisifiedBus } from "i2c-bus";
import { BusError, DeviceGone, DeviceTimeout, type HalError } from "../errors.js";
import type { I2cBus } from "../interfaces.js";

/** A transfer stuck longer than this (SDA held low by a confused target) is abandoned. */
export const I2C_TRANSFER_TIMEOUT_MS = 1000;

const hex = (n: number) => `0x${n.toString(16).padStart(2, "0")}`;

export function translateI2cError(device: string, command: string, err: unknown): HalError {
  const code = (err as NodeJS.ErrnoException).code;
  const context = { device, command, cause: err };
  if (code === "ENXIO" || code === "EREMOTEIO")
    return new DeviceGone(`${command}: no acknowledge (${code})`, context);
  if (code === "ETIMEDOUT" || code === "EAGAIN")
    return new DeviceTimeout(`${command}: bus timeout (${code})`, context);
  return new BusError(`${command}: ${(err as Error).message}`, context);
}

export async function openI2cBus(device: string, busNumber: number): Promise<I2cBus> {
  let i2c: typeof import("i2c-bus");
  try {
    i2c = await import("i2c-bus");
  } catch (err) {
    throw new BusError(
      "the I²C back end needs the i2c-bus package (built at npm install; needs g++, make, python3)",
      {
        device,
        cause: err,
      },
    );
  }
  let bus: PromisifiedBus;
  try {
    bus = await i2c.openPromisified(busNumber);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === "ENOENT"
        ? " (is I²C enabled? raspi-config → Interface Options → I2C)"
        : code === "EACCES"
          ? " (add the service user to the i2c group)"
          : "";
    throw new BusError(`cannot open /dev/i2c-${busNumber}: ${(err as Error).message}${hint}`, {
      device,
      cause: err,
    });
  }

  const run = async <T>(command: string, op: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DeviceTimeout(`${command}: no completion within ${I2C_TRANSFER_TIMEOUT_MS} ms`, {
              device,
              command,
            }),
          ),
        I2C_TRANSFER_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([op(), timeout]);
    } catch (err) {
      if (err instanceof DeviceTimeout) throw err;
      throw translateI2cError(device, command, err);
    } finally {
      clearTimeout(timer);
    }
  };
  const at = (address: number, register?: number) =>
    `i2c-${busNumber} ${hex(address)}${register === undefined ? "" : ` reg ${hex(register)}`}`;

  return {
    busNumber,
    readByte: (a, r) => run(`read byte ${at(a, r)}`, () => bus.readByte(a, r)),
    writeByte: (a, r, v) => run(`write byte ${at(a, r)}`, () => bus.writeByte(a, r, v)),
    readWord: (a, r) => run(`read word ${at(a, r)}`, () => bus.readWord(a, r)),
    writeWord: (a, r, v) => run(`write word ${at(a, r)}`, () => bus.writeWord(a, r, v)),
    readBlock: (a, r, length) =>
      run(`read ${length} bytes ${at(a, r)}`, async () => {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await bus.readI2cBlock(a, r, length, buffer);
        return new Uint8Array(buffer.subarray(0, bytesRead));
      }),
    writeBlock: (a, r, bytes) =>
      run(`write ${bytes.length} bytes ${at(a, r)}`, async () => {
        await bus.writeI2cBlock(a, r, bytes.length, Buffer.from(bytes));
      }),
    readRaw: (a, length) =>
      run(`read ${length} bytes ${at(a)}`, async () => {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await bus.i2cRead(a, length, buffer);
        return new Uint8Array(buffer.subarray(0, bytesRead));
      }),
    writeRaw: (a, bytes) =>
      run(`write ${bytes.length} bytes ${at(a)}`, async () => {
        await bus.i2cWrite(a, bytes.length, Buffer.from(bytes));
      }),
    close: () => bus.close(),
  };
}
