/**
 * The verb table: every request the agent answers, verb → argument schema → handler. The
 * response's `data` is what the handler returns. Verbs that move hardware are in
 * ./hardware-verbs.ts.
 */
import { z } from "zod";
import { withCountsArray } from "../correlation/live-engine.js";
import { type ConfigChange, requireAvailable } from "./context.js";
import { hardwareVerbs } from "./hardware-verbs.js";
import { operationsVerbs } from "./operations-verbs.js";
import { ControlError } from "./protocol.js";
import { type Verb, verb } from "./verb.js";

const none = z.strictObject({});
const configChange = z
  .strictObject({
    /** A whole bench document, as in the YAML file. */
    document: z.record(z.string(), z.unknown()).optional(),
    /** A JSON merge patch (RFC 7396) over the running document. */
    patch: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((c) => (c.document === undefined) !== (c.patch === undefined), {
    message: "give either document or patch",
  })
  .transform((c): ConfigChange => (c.document ? { document: c.document } : { patch: c.patch! }));

const alignmentVerb = (mode: "search" | "peak" | "track" | "stop") =>
  verb(none, async (_args, ctx) => {
    const state = await requireAvailable(ctx.alignment, "alignment").command(mode);
    return { mode, ...(state ? { state } : {}) };
  });

export const verbs = {
  "agent/ping": verb(none, async (_args, ctx) => ({
    benchId: ctx.benchId,
    version: ctx.version,
    uptimeS: Math.round((Date.now() - ctx.startedAtMs) / 1000),
    ts: new Date().toISOString(),
  })),

  "config/get": verb(none, async (_args, ctx) => requireAvailable(ctx.config, "remote configuration").get()),
  "config/validate": verb(configChange, async (change, ctx) =>
    requireAvailable(ctx.config, "remote configuration").validate(change),
  ),
  "config/set": verb(configChange, async (change, ctx, by) =>
    requireAvailable(ctx.config, "remote configuration").set(change, by),
  ),
  "config/history": verb(none, async (_args, ctx) => ({
    versions: requireAvailable(ctx.config, "remote configuration").history(),
  })),
  "config/rollback": verb(z.strictObject({ version: z.int().min(0) }), async ({ version }, ctx, by) =>
    requireAvailable(ctx.config, "remote configuration").rollback(version, by),
  ),

  ...hardwareVerbs,
  ...operationsVerbs,

  "alignment/search": alignmentVerb("search"),
  "alignment/peak": alignmentVerb("peak"),
  "alignment/track": alignmentVerb("track"),
  "alignment/stop": alignmentVerb("stop"),

  "recording/start": verb(none, async (_args, ctx) => {
    const recording = requireAvailable(ctx.recording, "recording");
    if (!recording.recording) await recording.start();
    if (!recording.recording)
      throw new ControlError("device", "recording could not start: see the agent's log");
    return { recording: true };
  }),
  "recording/stop": verb(none, async (_args, ctx) => {
    await requireAvailable(ctx.recording, "recording").stop();
    return { recording: false };
  }),

  /** `counts: "array"`: each histogram's counts as a plain JSON array instead of base64. */
  "analysis/snapshot": verb(
    z.strictObject({ name: z.string().optional(), counts: z.enum(["base64", "array"]).default("base64") }),
    async ({ name, counts }, ctx) => {
      const all = ctx.latestMeasurements().map((m) => (counts === "array" ? withCountsArray(m) : m));
      const measurements = name === undefined ? all : all.filter((m) => m.name === name);
      if (name !== undefined && measurements.length === 0)
        throw new ControlError(
          "not-found",
          `no measurement "${name}" yet (have ${all.map((m) => m.name).join(", ") || "none"})`,
          "name",
        );
      return { measurements };
    },
  ),

  "interlock/reset": verb(
    z.strictObject({ rules: z.array(z.string()).min(1).optional() }),
    async ({ rules }, ctx) => {
      const outcome = await ctx.interlocks.reset(rules);
      if (outcome.unknown.length > 0)
        throw new ControlError("not-found", `no interlock rule ${outcome.unknown.join(", ")}`, "rules");
      if (outcome.stillTripped.length > 0 && outcome.reset.length === 0)
        throw new ControlError(
          "interlock",
          `interlock ${outcome.stillTripped.join(", ")} still tripped: clear its inputs first`,
        );
      return outcome;
    },
  ),

  "alarm/ack": verb(z.strictObject({ name: z.string().min(1) }), async ({ name }, ctx, by) => {
    const alarm = ctx.alarms.acknowledge(name, by);
    if (!alarm)
      throw new ControlError(
        "not-found",
        `no active alarm "${name}" (active: ${
          ctx.alarms
            .active()
            .map((a) => a.name)
            .join(", ") || "none"
        })`,
        "name",
      );
    return alarm;
  }),
} satisfies Record<string, Verb>;

export type VerbName = keyof typeof verbs;
export const verbNames = Object.keys(verbs) as VerbName[];
