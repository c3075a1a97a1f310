/**
 * On-device measurements from the live time tags: which histograms to correlate, how long each
 * integration period is, and what the rates and brightness need (dead times, set-up efficiency).
 * Channels are named by detector device (the tagger's `channels.detectors` maps them to inputs).
 */
import { z } from "zod";
import { topicSafeName } from "./common.js";

export const histogramSchema = z
  .strictObject({
    /** Published on measurement/<name>. */
    name: topicSafeName,
    /** Detector device names; τ = t(b) − t(a). */
    a: z.string(),
    b: z.string(),
    windowNs: z.number().positive().max(1_000_000).default(100),
    /** Bin of the published histogram, ps; it must divide the ±window. */
    binPs: z.int().positive().default(100),
    /** Repetition period for pulsed g2(0), ps, or `auto` to find it in the data; `cw` for a CW source. */
    periodPs: z.union([z.literal("auto"), z.literal("cw"), z.number().positive()]).default("auto"),
    /**
     * Where the cables put τ = 0, ps: the centre of the CW g2(0) bin, or the pulsed peak nearest it.
     * Default: found in each histogram (the fitted CW dip or bunching peak, the smallest pulsed peak).
     */
    zeroDelayPs: z.number().optional(),
    /** Background per detector for the CW g2(0) correction, cps. */
    backgroundCps: z.record(z.string(), z.number().min(0)).optional(),
    /** Heralded source: `a` heralds `b`; efficiency from coincidences at `heraldDelayPs` ± `heraldWindowPs`/2. */
    herald: z.strictObject({ delayPs: z.number(), windowPs: z.number().positive() }).optional(),
    /**
     * Two-photon interference between a and b (the two outputs of the HOM beam splitter):
     * `cw-dip` — the dip depth at `dipDelayPs` against the plateau beyond ±`farNs`;
     * `pulsed` — V = 1 − g2(0)/g2⊥(0), against g2⊥(0) measured with distinguishable photons.
     */
    hom: z
      .discriminatedUnion("kind", [
        z.strictObject({
          kind: z.literal("cw-dip"),
          dipDelayPs: z.number().default(0),
          farNs: z.number().positive().default(20),
        }),
        z.strictObject({
          kind: z.literal("pulsed"),
          orthogonalG2Zero: z.number().positive(),
          orthogonalG2ZeroError: z.number().min(0),
        }),
      ])
      .optional(),
  })
  .refine((h) => h.a !== h.b, { message: "a and b must be different detectors" })
  .refine((h) => Number.isInteger((2 * h.windowNs * 1000) / h.binPs), {
    message: "binPs must divide the ±windowNs window",
    path: ["binPs"],
  });

export const correlationSchema = z
  .strictObject({
    /** The serial-tagger device to correlate; optional when the bench has one. */
    source: z.string().optional(),
    /** One measurement per histogram per integration period, in the tagger's own time. */
    integrationS: z.number().min(0.1).max(3600).default(10),
    histograms: z.array(histogramSchema).default([]),
    /** Detector dead time for the corrected rates and the saturation flag, ns, by detector. */
    deadTimeNs: z.record(z.string(), z.number().min(0)).default({}),
    /** First lens → detector click efficiency, for the brightness at the first lens. */
    setupEfficiency: z.number().gt(0).max(1).optional(),
    /**
     * Threads that pair the tags; default: the machine's cores less one (the main thread keeps
     * one for the interlocks). 1 correlates on the correlation worker itself.
     */
    workers: z.int().min(1).max(64).optional(),
  })
  .prefault({});

export type CorrelationConfig = z.infer<typeof correlationSchema>;
export type HistogramConfig = z.infer<typeof histogramSchema>;

export const recordingSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The serial-tagger recorded; optional when the bench has one. */
    source: z.string().optional(),
    /** Under the unit's StateDirectory by default. */
    dir: z.string().min(1).default("/var/lib/photon-bench/recordings"),
    /** A new file after this many MB or seconds (at most 2 h: times in a file stay exact). */
    rotateMb: z.number().positive().max(100_000).default(256),
    rotateS: z.number().positive().max(7200).default(600),
    /** Retention: the oldest files go when the recordings exceed this, or when older than maxAgeDays. */
    maxTotalGb: z.number().positive().default(20),
    maxAgeDays: z.number().positive().default(30),
  })
  .refine((r) => r.maxTotalGb * 1000 >= 2 * r.rotateMb, {
    message: "maxTotalGb must hold at least two files of rotateMb",
    path: ["maxTotalGb"],
  })
  .prefault({});

export type RecordingConfig = z.infer<typeof recordingSchema>;
