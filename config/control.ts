/**
 * The control plane (agent/control/): requests over MQTT, who may send which verbs, and how
 * often. Safety limits are not here: they are `safety` and `interlocks`, which a push may
 * tighten but never loosen (see agent/control/limits.ts).
 */
import { z } from "zod";

export const controlSchema = z
  .strictObject({
    /** false: every request is answered `disabled` and nothing is done. */
    enabled: z.boolean().default(true),
    /** Only these verbs (e.g. `agent/ping`, `config/get`); absent: every verb. */
    allow: z.array(z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "a verb such as laser/emission")).optional(),
    /** Requests per verb: a bucket of `burst` refilled at `perVerbPerS`; beyond it the answer is `busy`. */
    rateLimit: z
      .strictObject({
        perVerbPerS: z.number().positive().max(10_000).default(10),
        burst: z.int().min(1).max(10_000).default(20),
      })
      .prefault({}),
  })
  .prefault({});

export type ControlConfig = z.infer<typeof controlSchema>;
