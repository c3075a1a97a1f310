/**
 * GPIO over onoff (sysfs). onoff is loaded only when a hardware GPIO line is opened: it compiles a
 * native addon at install, and a machine that could not build it still runs the simulated bench.
 */
import { BusError, DeviceGone } from "../errors.js";
import type { BinaryValue, GpioLine, GpioOpenOptions } from "../interfaces.js";
import { type GpioNumbering, toSysfsNumber } from "./gpio-numbering.js";

/** The part of onoff's Gpio we use (declared here so the build does not need onoff installed). */
interface OnoffGpio {
  read(): Promise<BinaryValue>;
  write(value: BinaryValue): Promise<void>;
  watch(callback: (err: Error | null | undefined, value: BinaryValue) => void): void;
  unwatch(callback: (err: Error | null | undefined, value: BinaryValue) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
interface OnoffModule {
  Gpio: {
    new (
      gpio: number,
      direction: "in" | "high" | "low",
      edge?: "none" | "both",
      options?: { debounceTimeout?: number; activeLow?: boolean },
    ): OnoffGpio;
    accessible: boolean;
  };
}

async function loadOnoff(device: string): Promise<OnoffModule> {
  try {
    const mod = (await import("onoff")) as unknown as OnoffModule & { default?: OnoffModule };
    return mod.Gpio ? mod : (mod.default as OnoffModule);
  } catch (err) {
    throw new BusError(
      "the GPIO back end needs the onoff package (built at npm install; needs g++, make, python3)",
      {
        device,
        cause: err,
      },
    );
  }
}

export async function openOnoffLine(
  device: string,
  line: number,
  options: GpioOpenOptions,
  numbering: GpioNumbering,
): Promise<GpioLine> {
  const { Gpio } = await loadOnoff(device);
  if (!Gpio.accessible)
    throw new BusError("GPIO is not accessible here (no /sys/class/gpio, or no permission)", { device });
  const sysfs = await toSysfsNumber(device, line, numbering);
  const activeLow = options.activeLow ?? false;
  // sysfs "high"/"low" set the physical level; choose it so the logical initial level holds from
  // the first instant, with no glitch through the other level.
  const physical = ((options.initial ?? 0) ^ (activeLow ? 1 : 0)) as BinaryValue;
  const direction = options.direction === "in" ? "in" : physical ? "high" : "low";
  let gpio: OnoffGpio;
  try {
    gpio = new Gpio(sysfs, direction, options.direction === "in" ? "both" : "none", {
      activeLow,
      ...(options.debounceMs ? { debounceTimeout: options.debounceMs } : {}),
    });
  } catch (err) {
    throw new BusError(`cannot open GPIO ${line} (sysfs ${sysfs}): ${(err as Error).message}`, {
      device,
      cause: err,
    });
  }
  let closed = false;
  const guard = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    if (closed) throw new DeviceGone(`GPIO ${line} is closed`, { device, command: what });
    try {
      return await op();
    } catch (err) {
      throw new BusError(`GPIO ${line} ${what} failed: ${(err as Error).message}`, {
        device,
        command: what,
        cause: err,
      });
    }
  };
  return {
    line,
    direction: options.direction,
    read: () => guard("read", () => gpio.read()),
    write: (value) => {
      if (options.direction !== "out")
        return Promise.reject(new BusError(`GPIO ${line} is an input`, { device }));
      return guard(`write ${value}`, () => gpio.write(value));
    },
    watch: (listener) => {
      const callback = (err: Error | null | undefined, value: BinaryValue) => {
        if (!err) listener(value);
      };
      gpio.watch(callback);
      return () => gpio.unwatch(callback);
    },
    // onoff set the line's active_low, so its value file holds the logical level.
    share: () => ({ spec: { kind: "sysfs", valuePath: `/sys/class/gpio/gpio${sysfs}/value` } }),
    close: async () => {
      if (closed) return;
      closed = true;
      gpio.unwatchAll();
      // Inputs are released; outputs stay exported so the kernel keeps holding their level.
      if (options.direction === "in") gpio.unexport();
    },
  };
}
