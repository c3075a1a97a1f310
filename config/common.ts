/**
 * Building blocks shared by the config sections: bus addresses, serial settings, GPIO lines.
 * Every schema here is strict: an unknown key is a typo in a lab's bench file, and we say so.
 */
import { z } from "zod";

export const backendSchema = z.enum(["sim", "hardware"]);
export type Backend = z.infer<typeof backendSchema>;

/** Linux I²C adapter number (/dev/i2c-N) and a 7-bit target address. */
export const i2cTargetSchema = z.strictObject({
  bus: z.int().min(0).max(255).default(1),
  /** 7-bit address; 0x00–0x07 and 0x78–0x7f are reserved by the I²C specification (UM10204 §3.1.12). */
  address: z.int().min(0x08).max(0x77),
});
export type I2cTarget = z.infer<typeof i2cTargetSchema>;

export const parityValues = ["none", "even", "odd", "mark", "space"] as const;

/** Serial line settings; each device type supplies its instrument's factory defaults. */
export function serialSchema(defaults: {
  baudRate: number;
  dataBits: 7 | 8;
  parity: (typeof parityValues)[number];
  stopBits: 1 | 2;
  timeoutMs: number;
  rtscts?: boolean;
}) {
  return z.strictObject({
    path: z.string().min(1),
    baudRate: z.int().positive().default(defaults.baudRate),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(defaults.dataBits),
    parity: z.enum(parityValues).default(defaults.parity),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(defaults.stopBits),
    /** How long one request may wait for its reply before it is a DeviceTimeout. */
    timeoutMs: z.int().min(10).max(60_000).default(defaults.timeoutMs),
    /** Hardware flow control (RTS/CTS), as Thorlabs' APT units ask for. */
    rtscts: z.boolean().default(defaults.rtscts ?? false),
  });
}
export type SerialSettings = z.infer<ReturnType<typeof serialSchema>>;

/**
 * A GPIO line by its header/BCM number (what is printed on the Pi's pinout), never the sysfs
 * number: the hardware back end adds the GPIO chip's base (512 on Raspberry Pi kernels ≥ 6.6).
 */
export const gpioLineNumber = z.int().min(0).max(511);

export const gpioOutputSchema = z.strictObject({
  line: gpioLineNumber,
  /** true when the wiring inverts: a logical "on" drives the pin low. */
  activeLow: z.boolean().default(false),
});
export type GpioOutputSettings = z.infer<typeof gpioOutputSchema>;

/** A name that becomes an MQTT topic level: no wildcards, no separators. */
export const topicSafeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "must start with a letter and hold only letters, digits, _ or -");

/** What every device entry has besides its own settings: the bench back end it may override. */
export const deviceBase = { backend: backendSchema.optional() };
