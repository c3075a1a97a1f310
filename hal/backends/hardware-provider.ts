/**
 * The hardware BusProvider: real GPIO, I²C and serial, each library loaded on first use.
 * Every device gets its own handle (the kernel serialises transfers on an I²C adapter), so an
 * error always names the device whose transfer failed.
 */
import type { BusProvider } from "../interfaces.js";
import type { Logger } from "../logger.js";
import type { GpioNumbering } from "./gpio-numbering.js";

interface Closable {
  close(): Promise<void>;
}

export function createHardwareProvider(numbering: GpioNumbering, logger: Logger): BusProvider {
  const opened: Closable[] = [];
  const track = <T extends Closable>(handle: T): T => {
    opened.push(handle);
    return handle;
  };
  return {
    kind: "hardware",
    async gpio(device, line, options) {
      const { openOnoffLine } = await import("./gpio-onoff.js");
      return track(await openOnoffLine(device, line, options, numbering));
    },
    async i2c(device, busNumber) {
      const { openI2cBus } = await import("./i2c-bus.js");
      return track(await openI2cBus(device, busNumber));
    },
    async serial(device, options) {
      const { openSerialPort } = await import("./serialport.js");
      return track(await openSerialPort(device, options, logger.child({ module: "serial", device })));
    },
    async close() {
      await Promise.allSettled(opened.splice(0).map((h) => h.close()));
    },
  };
}
