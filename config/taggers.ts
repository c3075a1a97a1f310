/**
 * The time-taggers' schemas: every one streams (channel, time) tags and names its channels by role.
 */
import { z } from "zod";
import { deviceBase, serialSchema } from "./common.js";

/** Tagger input channels by role: the laser sync (optional) and each detector by device name. */
export const taggerChannelsSchema = z.strictObject({
  sync: z.int().min(0).max(255).optional(),
  /** The tagger records one sync tag per this many laser pulses (80 MHz / 1000 = 80 kHz of sync tags). */
  syncDivider: z.int().min(1).max(1_000_000).default(1),
  detectors: z.record(z.string(), z.int().min(0).max(255)),
});

/**
 * Per-input settings (trigger levels, delays) may name only inputs the tagger streams (`sync` for
 * the sync where the tagger has that name): one for an unused input would be silently ignored.
 */
function inputsStreamed(key: "triggers" | "inputs") {
  return (
    d: { channels: { sync?: number | undefined; detectors: Record<string, number> } } & Record<
      string,
      unknown
    >,
  ) => {
    const streamed = new Set(
      [d.channels.sync, ...Object.values(d.channels.detectors)].filter((c) => c !== undefined).map(String),
    );
    return Object.keys((d[key] as Record<string, unknown> | undefined) ?? {}).every((k) =>
      k === "sync" ? d.channels.sync !== undefined : streamed.has(k),
    );
  };
}
const notStreamed = (key: string) => ({
  message: `${key} may name only the inputs in channels (and sync if it is there)`,
  path: [key],
});

/** Serial/USB time-tagger streaming framed (channel, time) records; format in hal/devices/tagger-frames.ts. */
export const serialTaggerSchema = z.strictObject({
  ...deviceBase,
  type: z.literal("serial-tagger"),
  serial: serialSchema({ baudRate: 3_000_000, dataBits: 8, parity: "none", stopBits: 1, timeoutMs: 1000 }),
  channels: taggerChannelsSchema,
});

/**
 * A time-tag file played as a live tagger: any file `analyze` reads (PTU T2/T3, PicoHarp .pt2/.pt3,
 * quTAG .qutag), at `speed` × real time. With `loop`, copies follow each other every
 * `loopEveryS` of tagger time (default: the file's length rounded up to a whole second), so with
 * `correlation.integrationS` equal to it each integration period holds one whole copy.
 */
export const replayTaggerSchema = z.strictObject({
  ...deviceBase,
  type: z.literal("replay-tagger"),
  /** The file, relative to the agent's working directory or absolute. */
  file: z.string().min(1),
  speed: z.number().positive().max(10_000).default(1),
  loop: z.boolean().default(false),
  loopEveryS: z.number().positive().optional(),
  channels: taggerChannelsSchema,
});

/** Our framed tagger stream (as `serial-tagger` speaks it) from another computer, over TCP. */
export const tcpTaggerSchema = z.strictObject({
  ...deviceBase,
  type: z.literal("tcp-tagger"),
  tcp: z.strictObject({
    host: z.string().min(1),
    port: z.int().min(1).max(65_535),
    /** Connecting and each command's reply. */
    timeoutMs: z.int().positive().default(1000),
  }),
  channels: taggerChannelsSchema,
});

/** PicoQuant instruments the agent reads live (agent/sources/picoquant-models.ts has their library shapes). */
export const picoquantModels = [
  "HydraHarp 400",
  "MultiHarp 150/160",
  "TimeHarp 260 P",
  "TimeHarp 260 N",
] as const;

/**
 * One input's discriminator: a constant-fraction discriminator (HydraHarp, TimeHarp 260 P) takes
 * `levelMv` and `zeroCrossMv`; an edge trigger (MultiHarp, TimeHarp 260 N) `levelMv` and `edge`.
 */
const triggerSchema = z.strictObject({
  levelMv: z.int().min(-1200).max(1200),
  zeroCrossMv: z.int().min(-40).max(40).optional(),
  edge: z.enum(["rising", "falling"]).optional(),
  /** Delay added to this input, like a cable (the libraries' ±99 999 ps). */
  offsetPs: z.int().min(-99_999).max(99_999).default(0),
});
export type TriggerConfig = z.infer<typeof triggerSchema>;

/**
 * A PicoQuant TCSPC unit in T2 mode, read live through the vendor's C library at `library`. Channels
 * are numbered as `analyze` numbers them in a PTU file: inputs from 0, the sync 64.
 */
export const picoquantTaggerSchema = z
  .strictObject({
    ...deviceBase,
    type: z.literal("picoquant-tagger"),
    model: z.enum(picoquantModels),
    /** The vendor's shared library, e.g. /opt/picoquant/hhlib/libhh400.so. */
    library: z.string().min(1),
    /** The library's device index (0–7: the USB units in the order it finds them). */
    deviceIndex: z.int().min(0).max(7).default(0),
    /** How often the FIFO is read, ms (the FIFO must not fill in between: 2 M records on a HydraHarp). */
    pollMs: z.int().min(1).max(1000).default(10),
    /** Discriminators by input: `sync` and the input numbers ("0", "1", …); unset ones keep the model's default. */
    triggers: z.record(z.string().regex(/^(sync|[0-9]{1,2})$/), triggerSchema).default({}),
    channels: taggerChannelsSchema
      .refine((c) => c.sync === undefined || c.sync === 64, {
        message: "a PicoQuant sync is channel 64 (as analyze numbers it)",
        path: ["sync"],
      })
      .refine((c) => Object.values(c.detectors).every((ch) => ch < 64), {
        message: "PicoQuant inputs are channels 0–63",
        path: ["detectors"],
      }),
  })
  .refine(inputsStreamed("triggers"), notStreamed("triggers"));

/**
 * A quTAG (MC or HR) read live through qutools' tdcbase library at `library`. Channels are numbered
 * as the library returns them (as in a .qutag file): stop input 1 is channel 0, bit 0 of its mask.
 */
export const qutagTaggerSchema = z
  .strictObject({
    ...deviceBase,
    type: z.literal("qutag-tagger"),
    /** tdcbase's shared library, e.g. /opt/qutools/quTAG/lib/libtdcbase.so. */
    library: z.string().min(1),
    /** The device id programmed into the unit; -1: the first one found. */
    deviceId: z.int().min(-1).max(255).default(-1),
    /** The library's timestamp ring buffer, records (it must not fill between two reads). */
    bufferSize: z.int().min(1000).max(1_000_000).default(1_000_000),
    pollMs: z.int().min(1).max(1000).default(10),
    /** The coincidence counters' exposure, ms (the library's own rates; the agent counts tags itself). */
    exposureMs: z.int().min(1).max(65_535).default(1000),
    /** How far the unit's channels may run out of time order, ps (records are sorted within it). */
    reorderWindowPs: z.number().positive().max(1e12).default(10e9),
    /** Per channel ("0", "1", …): threshold and edge (signal conditioning "misc"), delay. */
    inputs: z
      .record(
        z.string().regex(/^[0-9]{1,2}$/),
        z.strictObject({
          thresholdV: z.number().min(-2).max(3),
          edge: z.enum(["rising", "falling"]).default("rising"),
          delayPs: z.int().min(-100_000).max(100_000).default(0),
        }),
      )
      .default({}),
    channels: taggerChannelsSchema.refine(
      (c) => [c.sync, ...Object.values(c.detectors)].every((ch) => ch === undefined || ch < 32),
      { message: "quTAG stop inputs are channels 0–31", path: ["detectors"] },
    ),
  })
  .refine(inputsStreamed("inputs"), notStreamed("inputs"));

/**
 * A Swabian Time Tagger through a Python sidecar (sidecars/swabian_stream.py) that runs the vendor's
 * `TimeTagger` module and streams its `TimeTagStream` to the agent. Channels are the Time Tagger's
 * input numbers (1, 2, …; rising edges).
 */
export const swabianTaggerSchema = z
  .strictObject({
    ...deviceBase,
    type: z.literal("swabian-tagger"),
    /** The Python that has the vendor's `TimeTagger` module. */
    python: z.string().min(1).default("python3"),
    /** Added to PYTHONPATH, where the module is not on that Python's path already. */
    modulePath: z.string().min(1).optional(),
    /** The sidecar script; default: sidecars/swabian_stream.py of this installation. */
    sidecar: z.string().min(1).optional(),
    /** The unit's serial number; "": the first one found. */
    serialNumber: z.string().default(""),
    /** The stream's buffer in the vendor's software, events (it must not fill between two reads). */
    bufferEvents: z.int().min(1000).max(100_000_000).default(1_000_000),
    pollMs: z.int().min(1).max(1000).default(10),
    /** How long the sidecar may take to import the module and open the unit, ms. */
    startTimeoutMs: z.int().min(1000).max(120_000).default(15_000),
    /** Per input ("1", "2", …): trigger level and delay. */
    inputs: z
      .record(
        z.string().regex(/^[0-9]{1,2}$/),
        z.strictObject({
          triggerLevelV: z.number().min(-2.5).max(2.5).optional(),
          delayPs: z.int().min(-2_000_000).max(2_000_000).optional(),
        }),
      )
      .default({}),
    channels: taggerChannelsSchema
      .refine(
        (c) =>
          [c.sync, ...Object.values(c.detectors)].every((ch) => ch === undefined || (ch >= 1 && ch <= 63)),
        {
          message: "Time Tagger inputs are channels 1–63",
          path: ["detectors"],
        },
      )
      .refine((c) => c.syncDivider <= 65_535, {
        message: "a Time Tagger's event divider is at most 65535",
        path: ["syncDivider"],
      }),
  })
  .refine(inputsStreamed("inputs"), notStreamed("inputs"));
