/** The agent's HTTP endpoints for operations: Prometheus `/metrics`, `/healthz`, `/readyz`. */
import { z } from "zod";

export const metricsSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Loopback by default: a scraper on another host needs this opened deliberately. */
    host: z.string().min(1).default("127.0.0.1"),
    /** 0: any free port (tests). */
    port: z.int().min(0).max(65_535).default(9464),
  })
  .prefault({});

export type MetricsConfig = z.infer<typeof metricsSchema>;
