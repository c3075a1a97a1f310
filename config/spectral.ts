/**
 * Spectral purity: a scanning Fabry–Pérot read through the bench's DAC and ADC, a wavemeter on
 * SCPI, and the `spectral` section that fits each scan (agent/services/spectral.ts).
 */
import { z } from "zod";
import { deviceBase, i2cTargetSchema, serialSchema } from "./common.js";

/**
 * A scanning Fabry–Pérot interferometer: a DAC channel ramps its piezo through `scan`, an ADC input
 * reads the photodiode behind it. `ghzPerV` turns DAC volts into optical frequency; the cavity's
 * own linewidth, `fsrGHz` / `finesse`, is taken out of each fit.
 */
export const fabryPerotSchema = z
  .strictObject({
    ...deviceBase,
    type: z.literal("fabry-perot"),
    dac: i2cTargetSchema.extend({ channel: z.int().min(0).max(3) }),
    adc: i2cTargetSchema.extend({
      input: z.int().min(0).max(3),
      fullScaleV: z.number().positive().max(6.144).default(4.096),
    }),
    /** Optical frequency per volt of the piezo's DAC, GHz/V (from a calibration against the FSR). */
    ghzPerV: z.number().positive().max(1000),
    fsrGHz: z.number().positive().max(10_000),
    finesse: z.number().min(2).max(1e6),
    scan: z.strictObject({
      fromV: z.number().min(0).max(4.096),
      toV: z.number().min(0).max(4.096),
      points: z.int().min(20).max(2000).default(200),
      /** Wait after each step before the ADC reads, ms (the piezo's settling). */
      settleMs: z.int().min(0).max(1000).default(0),
    }),
  })
  .refine((d) => d.scan.toV > d.scan.fromV, { message: "scan.toV must be above scan.fromV", path: ["scan"] });

/**
 * A wavemeter speaking SCPI (Bristol 671/871 and alike) over serial or TCP: `:MEAS:WAV?` gives the
 * centre wavelength, nm. Its drift is counted from `referenceNm`, or from the first reading.
 */
export const scpiWavemeterSchema = z
  .strictObject({
    ...deviceBase,
    type: z.literal("scpi-wavemeter"),
    serial: serialSchema({
      baudRate: 9600,
      dataBits: 8,
      parity: "none",
      stopBits: 1,
      timeoutMs: 1000,
    }).optional(),
    tcp: z
      .strictObject({
        host: z.string().min(1),
        port: z.int().min(1).max(65_535),
        timeoutMs: z.int().positive().default(1000),
      })
      .optional(),
    referenceNm: z.number().positive().optional(),
  })
  .refine((d) => (d.serial === undefined) !== (d.tcp === undefined), {
    message: "give the wavemeter either serial or tcp",
  });

export const spectralSchema = z
  .strictObject({
    /** The fabry-perot device to scan; none: no linewidth. */
    fabryPerot: z.string().optional(),
    /** A scan every this many seconds. */
    everyS: z.number().min(1).max(3600).default(10),
    /** Spectral diffusion: this many scans in a row broader than `maxLinewidthMHz` raise the alarm. */
    maxLinewidthMHz: z.number().positive().optional(),
    alarmAfterScans: z.int().min(1).max(100).default(2),
    /** Scans kept in the published history. */
    historyLength: z.int().min(1).max(1000).default(60),
  })
  .prefault({});

export type SpectralConfig = z.infer<typeof spectralSchema>;
