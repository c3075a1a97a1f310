/**
 * Operations verbs: runs, maintenance windows, incidents, runbooks, the compressor and the
 * game day. Runbooks' own commands come back through the control plane like any request.
 */
import { z } from "zod";
import { simFaultNames } from "../../config/sim.js";
import { RunConflict } from "../operations/runs.js";
import { pickDevice, requireAvailable } from "./context.js";
import { ControlError } from "./protocol.js";
import { verb } from "./verb.js";

const none = z.strictObject({});
const device = z.string().min(1).max(64).optional();
const text = (max: number) => z.string().min(1).max(max);
const ops = requireAvailable;

/** Starts or stops a compressor (`$ON1` / `$OFF`). */
const compressorVerb = (action: "start" | "stop") =>
  verb(z.strictObject({ device }), async ({ device: name }, ctx) => {
    const [compressorName, compressor] = pickDevice(ctx.devices.compressors, name, "compressor");
    await compressor[action]();
    return { device: compressorName, [action === "start" ? "started" : "stopped"]: true };
  });

export const operationsVerbs = {
  "run/start": verb(
    z.strictObject({
      name: text(120),
      operator: text(80),
      sample: text(120).optional(),
      notes: text(2000).optional(),
    }),
    async (args, ctx) => {
      try {
        return ops(ctx.operations, "operations").startRun(args);
      } catch (err) {
        if (err instanceof RunConflict) throw new ControlError("conflict", err.message);
        throw err;
      }
    },
  ),
  "run/stop": verb(none, async (_args, ctx) => {
    const stopped = ops(ctx.operations, "operations").stopRun();
    if (!stopped) throw new ControlError("not-found", "no run in progress");
    return stopped;
  }),
  "run/get": verb(none, async (_args, ctx) => ({
    run: ops(ctx.operations, "operations").currentRun() ?? null,
  })),

  "maintenance/start": verb(
    z.strictObject({
      minutes: z
        .number()
        .positive()
        .max(7 * 24 * 60),
      reason: text(200),
    }),
    async ({ minutes, reason }, ctx, by) =>
      ops(ctx.operations, "operations").openMaintenance(minutes, reason, by),
  ),
  "maintenance/stop": verb(none, async (_args, ctx) => ({
    closed: ops(ctx.operations, "operations").closeMaintenance(),
  })),

  "incident/list": verb(none, async (_args, ctx) => ({
    incidents: ops(ctx.operations, "operations").incidents(),
  })),
  "incident/ack": verb(z.strictObject({ id: text(64) }), async ({ id }, ctx, by) => {
    const o = ops(ctx.operations, "operations");
    const incident = o.acknowledgeIncident(id, by);
    if (!incident)
      throw new ControlError(
        "not-found",
        `no incident "${id}" (kept: ${
          o
            .incidents()
            .map((i) => i.id)
            .join(", ") || "none"
        })`,
        "id",
      );
    return incident;
  }),

  "runbook/list": verb(none, async (_args, ctx) => ({
    runbooks: ops(ctx.operations, "operations").runbookNames(),
  })),
  "runbook/run": verb(z.strictObject({ name: text(64) }), async ({ name }, ctx, by) => {
    const started = ops(ctx.operations, "operations").runRunbook(name, `command by ${by}`);
    if (typeof started === "string")
      throw new ControlError(started.startsWith("no runbook") ? "not-found" : "busy", started, "name");
    return { runbook: name, startedAt: started.startedAt };
  }),

  "compressor/start": compressorVerb("start"),
  "compressor/stop": compressorVerb("stop"),
  "compressor/reset-alarms": verb(z.strictObject({ device }), async ({ device: name }, ctx) => {
    const [compressorName, compressor] = pickDevice(ctx.devices.compressors, name, "compressor");
    await compressor.resetAlarms();
    const status = await compressor.readStatus();
    if (status.alarms.length > 0)
      throw new ControlError("device", `${compressorName} still reports: ${status.alarms.join(", ")}`);
    return { device: compressorName, alarms: status.alarms };
  }),

  /** The simulated bench only: inject a fault and score alarm → incident → runbook → recovered. */
  "gameday/start": verb(
    z.strictObject({
      fault: z.enum(simFaultNames),
      device,
      durationS: z.number().positive().max(86_400).optional(),
    }),
    async ({ fault, device: name, durationS }, ctx) => {
      const started = ops(ctx.operations, "operations").gameDay(fault, name, durationS);
      if (typeof started === "string") throw new ControlError("unavailable", started);
      return started;
    },
  ),
};
