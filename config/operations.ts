/**
 * Operations (agent/operations/): runs, warm-up and maintenance windows, the availability SLI and
 * its SLOs, alert rules, incidents, runbooks and the webhook notifier. On by default with no
 * rules, SLOs or runbook triggers: a bench file opts into each.
 *
 * A metric is named by where the agent publishes it: `telemetry/<device>/<field>`,
 * `measurement/<name>/<dotted.field>` (e.g. `measurement/hbt/g2.g2Zero`), `alignment/aligner/<field>`
 * (e.g. `alignment/aligner/fractionOfPeak`), `sli/<name>/<field>` or `slo/<name>/<field>` (e.g.
 * `slo/availability/burnRate1h`).
 */
import { z } from "zod";

export const metricPath = z
  .string()
  .regex(
    /^(telemetry|measurement|sli|slo)\/[A-Za-z0-9_-]+\/[A-Za-z0-9_.-]+$|^alignment\/aligner\/[A-Za-z0-9_.-]+$/,
    "telemetry/<device>/<field>, measurement/<name>/<field>, alignment/aligner/<field>, sli/<name>/<field> or slo/<name>/<field>",
  );

/** A condition on one metric: exactly one of above, below or equals. */
export const conditionSchema = z
  .strictObject({
    metric: metricPath,
    above: z.number().finite().optional(),
    below: z.number().finite().optional(),
    equals: z.union([z.boolean(), z.number(), z.string()]).optional(),
  })
  .refine((c) => [c.above, c.below, c.equals].filter((v) => v !== undefined).length === 1, {
    message: "give exactly one of above, below or equals",
  });
export type Condition = z.infer<typeof conditionSchema>;

const seconds = (def: number) =>
  z
    .number()
    .min(0)
    .max(31 * 86400)
    .default(def);

const alertRuleSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ or -"),
    metric: metricPath,
    above: z.number().finite().optional(),
    below: z.number().finite().optional(),
    /** How long the condition must hold before the alert fires, s. */
    forS: seconds(0),
    /** It clears only once the value is this far back on the good side of the threshold. */
    hysteresis: z.number().min(0).default(0),
    /** `page`: a person now (a critical threshold); `ticket`: the next working day. */
    severity: z.enum(["page", "ticket"]),
    /** Fires during warm-up and maintenance too (default: suppressed then). */
    evenDuringWarmUp: z.boolean().default(false),
  })
  .refine((r) => (r.above === undefined) !== (r.below === undefined), { message: "give above or below" });
export type AlertRule = z.infer<typeof alertRuleSchema>;

const maintenanceWindowSchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    reason: z.string().max(200).default("scheduled maintenance"),
  })
  .refine((w) => Date.parse(w.to) > Date.parse(w.from), { message: "`to` must be after `from`" });

const sloSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ or -"),
  /** Only the availability SLI has an SLO today. */
  sli: z.literal("availability"),
  /** e.g. 0.99 for 99 %. */
  target: z.number().gt(0).lt(1),
  windowDays: z.number().int().min(1).max(30).default(30),
});

export const operationsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /**
     * Warm-up: after the agent starts, a laser is switched on or the cryostat cools down again
     * (`cold` true after being false), alerts are suppressed and availability is not counted until
     * `stable` has held for `stableForS` (and at least `minS` have passed).
     */
    warmUp: z
      .strictObject({
        minS: seconds(60),
        stableForS: seconds(60),
        /** What a stable bench reads; by default the `usable` conditions. */
        stable: z.array(conditionSchema).optional(),
        /** The cryostat is cold: when this becomes true again after a warm spell, a warm-up starts. */
        cold: conditionSchema.optional(),
      })
      .prefault({}),
    maintenance: z.array(maintenanceWindowSchema).default([]),
    /** Usable emission: every condition holds (the availability SLI's "good"). */
    usable: z.array(conditionSchema).default([]),
    /** Coupling efficiency: coupled over pick-off power, times the calibration factor. */
    couplingEfficiency: z
      .strictObject({
        coupled: metricPath,
        pickoff: metricPath,
        calibration: z.number().positive().default(1),
      })
      .optional(),
    /** The laser whose emission tells dark counts (laser off) from signal, for the background SLI. */
    backgroundLaser: z.string().optional(),
    slos: z.array(sloSchema).default([]),
    alerts: z.array(alertRuleSchema).default([]),
    incidents: z
      .strictObject({
        /** Alarms raised this long after an incident opened join it if related, s. */
        groupWindowS: seconds(900),
        /** Wait this long after an incident opens for its cause to show before a runbook starts, s. */
        settleS: seconds(3),
        /** A resolved incident stays retained this long so subscribers see how it ended, s. */
        keepResolvedS: seconds(3600),
      })
      .prefault({}),
    runbooks: z
      .strictObject({
        /** More runbooks (YAML), beside the shipped ones in config/runbooks/. */
        dir: z.string().optional(),
        /** `cause`: the incident's cause alarm (a trailing * matches a prefix) → the runbook to run. */
        triggers: z
          .array(z.strictObject({ cause: z.string().min(1), runbook: z.string().min(1) }))
          .default([]),
      })
      .prefault({}),
    webhook: z
      .strictObject({
        enabled: z.boolean().default(false),
        url: z.url({ protocol: /^https?$/ }).optional(),
        /** Also notify tickets (pages always go). */
        tickets: z.boolean().default(true),
        retries: z.int().min(0).max(20).default(5),
        timeoutMs: z.int().min(100).max(60_000).default(5000),
      })
      .prefault({})
      .refine((w) => !w.enabled || w.url !== undefined, { message: "an enabled webhook needs a url" }),
    /** The system clock's NTP/PTP synchronisation, read from timedatectl or chrony. */
    clock: z
      .strictObject({
        requireSync: z.boolean().default(true),
        checkS: z.number().min(1).max(3600).default(60),
      })
      .prefault({}),
  })
  .prefault({});

export type OperationsConfig = z.infer<typeof operationsSchema>;

/** Every `telemetry/<device>/…` metric names a device of the bench; names are unique. */
export function checkOperationMetrics(
  ops: OperationsConfig,
  devices: Record<string, { type: string }>,
  ctx: z.RefinementCtx,
): void {
  const device = (metric: string, path: (string | number)[]) => {
    const [kind, name] = metric.split("/");
    if (kind === "telemetry" && !(name! in devices))
      ctx.addIssue({
        code: "custom",
        path: ["operations", ...path],
        message: `no device named "${name}" (the bench has ${Object.keys(devices).join(", ") || "none"})`,
      });
  };
  for (const [i, c] of ops.usable.entries()) device(c.metric, ["usable", i, "metric"]);
  for (const [i, c] of (ops.warmUp.stable ?? []).entries())
    device(c.metric, ["warmUp", "stable", i, "metric"]);
  for (const [i, r] of ops.alerts.entries()) device(r.metric, ["alerts", i, "metric"]);
  if (ops.couplingEfficiency) {
    device(ops.couplingEfficiency.coupled, ["couplingEfficiency", "coupled"]);
    device(ops.couplingEfficiency.pickoff, ["couplingEfficiency", "pickoff"]);
  }
  if (ops.backgroundLaser !== undefined && devices[ops.backgroundLaser]?.type !== "obis-laser")
    ctx.addIssue({
      code: "custom",
      path: ["operations", "backgroundLaser"],
      message: `"${ops.backgroundLaser}" is not a laser of this bench`,
    });
  const unique = (names: string[], path: string) => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n))
        ctx.addIssue({ code: "custom", path: ["operations", path, i, "name"], message: `"${n}" twice` });
      seen.add(n);
    });
  };
  unique(
    ops.alerts.map((r) => r.name),
    "alerts",
  );
  unique(
    ops.slos.map((s) => s.name),
    "slos",
  );
}
