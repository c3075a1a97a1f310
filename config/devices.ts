/**
 * One schema per device type. A device entry names its driver with `type`; its bus settings say
 * where it sits. `backend` picks the real bus or the simulated bench for that one device.
 */
import { z } from "zod";
import { ads1115FullScaleV } from "../hal/devices/ads1115.js";
import { deviceBase, gpioLineNumber, gpioOutputSchema, i2cTargetSchema, serialSchema } from "./common.js";

export {
  type AxisName,
  axisNames,
  axisSchema,
  isStage,
  type StageConfig,
  stageTravelUm,
  stageTypes,
} from "./stages.js";

import { fabryPerotSchema, scpiWavemeterSchema } from "./spectral.js";
import { piezoStageSchema, thorlabsKpz101Schema, thorlabsMdtSchema } from "./stages.js";
import {
  picoquantTaggerSchema,
  qutagTaggerSchema,
  replayTaggerSchema,
  serialTaggerSchema,
  swabianTaggerSchema,
  tcpTaggerSchema,
} from "./taggers.js";

/** Lake Shore Model 336: RS-232 at 57600 baud, 7 data bits, odd parity, 1 stop bit (manual §6.3). */
export const lakeShore336Schema = z.strictObject({
  ...deviceBase,
  type: z.literal("lakeshore336"),
  serial: serialSchema({ baudRate: 57600, dataBits: 7, parity: "odd", stopBits: 1, timeoutMs: 500 }),
  /** Which input (A–D) carries which sensor, by a name used in telemetry (`<name>TempK`). */
  inputs: z
    .record(z.string().regex(/^[a-z][A-Za-z0-9]*$/), z.enum(["A", "B", "C", "D"]))
    .default({ sample: "A", detectorStage: "B" }),
  /** Heater output loop (1 or 2) that holds the sample set-point. */
  heaterOutput: z.union([z.literal(1), z.literal(2)]).default(1),
});

/** Coherent OBIS-class laser: 115200 8N1, SCPI text, CR LF terminated, "OK" handshake. */
export const obisLaserSchema = z.strictObject({
  ...deviceBase,
  type: z.literal("obis-laser"),
  serial: serialSchema({ baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1, timeoutMs: 500 }),
  /** GPIO output wired to the laser's remote interlock: high (logical on) permits emission. */
  interlockLine: gpioOutputSchema,
});

/** Sumitomo (SHI) F-70 helium compressor: 9600 8N1, `$CMD<crc16>\r` frames (firmware ≥ 1.6). */
export const sumitomoF70Schema = z.strictObject({
  ...deviceBase,
  type: z.literal("sumitomo-f70"),
  serial: serialSchema({ baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, timeoutMs: 500 }),
});

const fullScaleSchema = z.number().refine((v) => (ads1115FullScaleV as readonly number[]).includes(v), {
  message: `must be one of ${ads1115FullScaleV.join(", ")}`,
});

export const ads1115Schema = z.strictObject({
  ...deviceBase,
  type: z.literal("ads1115"),
  i2c: i2cTargetSchema.extend({ address: i2cTargetSchema.shape.address.default(0x48) }),
  /** Each single-ended input becomes a named value: `name` with its unit, `perVolt` converts. */
  channels: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z][A-Za-z0-9]*$/),
        input: z.int().min(0).max(3),
        fullScaleV: fullScaleSchema.default(4.096),
        /** Quantity per volt at the input, e.g. mW/V from photodiode responsivity × transimpedance. */
        perVolt: z.number().positive(),
      }),
    )
    .min(1),
});

export const snspdBiasSchema = z.strictObject({
  ...deviceBase,
  type: z.literal("snspd-bias"),
  /** Readout/enable line (amplifier power or gate). */
  enableLine: gpioOutputSchema,
  /** DAC channel that sets the bias current through a series resistor. */
  dac: i2cTargetSchema.extend({ channel: z.int().min(0).max(3) }),
  /** Bias current per DAC volt, µA/V (1/R of the bias resistor, e.g. 100 kΩ → 10 µA/V). */
  biasUaPerV: z.number().positive(),
  /** ADC input that sees the DC voltage at the bias tee (rises when the nanowire latches). */
  monitor: i2cTargetSchema.extend({
    input: z.int().min(0).max(3),
    fullScaleV: fullScaleSchema.default(0.256),
  }),
  /** Monitor voltage above which a biased detector is latched (normal, not counting), mV. */
  latchThresholdMv: z.number().positive().default(20),
  /** Where the detector's temperature comes from: a temperature controller device and its input name. */
  temperature: z.strictObject({ device: z.string(), input: z.string() }),
});

export const gpioInterlockSchema = z.strictObject({
  ...deviceBase,
  type: z.literal("gpio-interlock"),
  line: gpioLineNumber,
  /** The level that means "unsafe" (door open, cryostat not OK). */
  trippedWhen: z.enum(["high", "low"]),
  /** Edges closer together than this are one edge (mechanical switch bounce), ms. */
  debounceMs: z.int().min(0).max(1000).default(10),
});

export const deviceSchema = z.discriminatedUnion("type", [
  lakeShore336Schema,
  obisLaserSchema,
  sumitomoF70Schema,
  ads1115Schema,
  piezoStageSchema,
  snspdBiasSchema,
  gpioInterlockSchema,
  serialTaggerSchema,
  replayTaggerSchema,
  tcpTaggerSchema,
  picoquantTaggerSchema,
  qutagTaggerSchema,
  swabianTaggerSchema,
  thorlabsMdtSchema,
  thorlabsKpz101Schema,
  fabryPerotSchema,
  scpiWavemeterSchema,
]);

export type DeviceConfig = z.infer<typeof deviceSchema>;
export type DeviceType = DeviceConfig["type"];
export type DeviceOfType<T extends DeviceType> = Extract<DeviceConfig, { type: T }>;
export type LakeShore336Config = DeviceOfType<"lakeshore336">;
export type ObisLaserConfig = DeviceOfType<"obis-laser">;
export type SumitomoF70Config = DeviceOfType<"sumitomo-f70">;
export type Ads1115Config = DeviceOfType<"ads1115">;
export type PiezoStageConfig = DeviceOfType<"piezo-mcp4728">;
export type SnspdBiasConfig = DeviceOfType<"snspd-bias">;
export type GpioInterlockConfig = DeviceOfType<"gpio-interlock">;
export type SerialTaggerConfig = DeviceOfType<"serial-tagger">;
export type ReplayTaggerConfig = DeviceOfType<"replay-tagger">;
export type TcpTaggerConfig = DeviceOfType<"tcp-tagger">;
export type PicoquantTaggerConfig = DeviceOfType<"picoquant-tagger">;
export type QutagTaggerConfig = DeviceOfType<"qutag-tagger">;
export type SwabianTaggerConfig = DeviceOfType<"swabian-tagger">;
/** A device that streams time tags, and the channels it streams them on. */
export type TaggerConfig =
  | SerialTaggerConfig
  | ReplayTaggerConfig
  | TcpTaggerConfig
  | PicoquantTaggerConfig
  | QutagTaggerConfig
  | SwabianTaggerConfig;
/** Every tagger type, once (a new one fails to compile until it is here). */
const taggerTypes: Record<TaggerConfig["type"], true> = {
  "serial-tagger": true,
  "replay-tagger": true,
  "tcp-tagger": true,
  "picoquant-tagger": true,
  "qutag-tagger": true,
  "swabian-tagger": true,
};
const TAGGER_TYPES: ReadonlySet<DeviceType> = new Set(Object.keys(taggerTypes) as DeviceType[]);
export const isTagger = (d: DeviceConfig): d is TaggerConfig => TAGGER_TYPES.has(d.type);

/**
 * What every layer needs to know about a device type, in one entry per type: its schema, the
 * line terminator of its serial replies (both the driver's link and the simulated instrument use
 * it), and its build order (inputs before the lasers they hold, thermometers before the detectors
 * that read them). The driver factories (agent/devices.ts) and the sim twins (sim/provider.ts)
 * are tables keyed by the same types, typed so that a new type fails to compile until each has
 * its entry — they stay in their own layers, since config/ may not import drivers or the sim.
 */
export const deviceTypes: {
  [T in DeviceType]: {
    schema: z.ZodType;
    buildOrder: number;
    serialTerminator?: string;
    /** What ends the instrument's replies, where it is not `serialTerminator`. */
    replyTerminator?: string;
  };
} = {
  "gpio-interlock": { schema: gpioInterlockSchema, buildOrder: 0 },
  lakeshore336: { schema: lakeShore336Schema, buildOrder: 1, serialTerminator: "\r\n" },
  "sumitomo-f70": { schema: sumitomoF70Schema, buildOrder: 2, serialTerminator: "\r" },
  "obis-laser": { schema: obisLaserSchema, buildOrder: 3, serialTerminator: "\r\n" },
  ads1115: { schema: ads1115Schema, buildOrder: 4 },
  "piezo-mcp4728": { schema: piezoStageSchema, buildOrder: 5 },
  "snspd-bias": { schema: snspdBiasSchema, buildOrder: 6 },
  "serial-tagger": { schema: serialTaggerSchema, buildOrder: 7, serialTerminator: "\r\n" },
  "replay-tagger": { schema: replayTaggerSchema, buildOrder: 7 },
  "tcp-tagger": { schema: tcpTaggerSchema, buildOrder: 7, serialTerminator: "\r\n" },
  "picoquant-tagger": { schema: picoquantTaggerSchema, buildOrder: 7 },
  "qutag-tagger": { schema: qutagTaggerSchema, buildOrder: 7 },
  "swabian-tagger": { schema: swabianTaggerSchema, buildOrder: 7 },
  // Replies end in the prompt, with no terminator after it.
  "thorlabs-mdt": { schema: thorlabsMdtSchema, buildOrder: 5, serialTerminator: "\r", replyTerminator: "" },
  // Binary messages: no terminator either way.
  "thorlabs-kpz101": {
    schema: thorlabsKpz101Schema,
    buildOrder: 5,
    serialTerminator: "",
    replyTerminator: "",
  },
  "fabry-perot": { schema: fabryPerotSchema, buildOrder: 8 },
  "scpi-wavemeter": { schema: scpiWavemeterSchema, buildOrder: 8, serialTerminator: "\n" },
};

export const deviceTypeNames = Object.keys(deviceTypes) as DeviceType[];

/** The tagger a section names, or the bench's only one; else why not. */
export function resolveTagger(
  devices: Record<string, DeviceConfig>,
  named: string | undefined,
): { name: string; tagger: TaggerConfig } | { problem: string } {
  const taggers = Object.entries(devices).filter(([, d]) => isTagger(d));
  const name = named ?? (taggers.length === 1 ? taggers[0]![0] : undefined);
  if (name === undefined) return { problem: `name the tagger (the bench has ${taggers.length})` };
  const tagger = devices[name];
  if (!tagger || !isTagger(tagger))
    return { problem: `"${name}" is not a tagger (${[...TAGGER_TYPES].join(", ")})` };
  return { name, tagger };
}
