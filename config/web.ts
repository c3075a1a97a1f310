/**
 * The live web view (agent/web/): one page served by the agent, fed from its event bus. Loopback
 * by default, where a visitor without a token gets `anonymousRole`; on any other address every
 * visitor needs a token (`tokens`), so a page that can reset an interlock is never open to the lab
 * network by accident.
 */
import { z } from "zod";

export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "localhost"]);

export const webRoles = ["viewer", "operator"] as const;
export type WebRole = (typeof webRoles)[number];

export const webSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** 127.0.0.1 by default; another address needs `tokens`. */
    host: z.string().min(1).default("127.0.0.1"),
    /** 0: any free port (tests); the address in use is logged and printed by `run`. */
    port: z.int().min(0).max(65_535).default(8080),
    /**
     * What a visitor without a token may do on a loopback address: `operator` (acknowledge, reset
     * interlocks, jog), `viewer` (look only) or `none` (a token is needed). Ignored elsewhere.
     */
    anonymousRole: z.enum([...webRoles, "none"]).default("operator"),
    /** Tokens for `/login?token=…` (a cookie from then on) or `Authorization: Bearer`, one per file (first line). */
    tokens: z
      .array(z.strictObject({ role: z.enum(webRoles), tokenFile: z.string().min(1) }))
      .max(32)
      .default([]),
    /** Updates sent to each page per second at most (the latest of each value; nothing queues up). */
    updateHz: z.number().min(0.5).max(20).default(10),
    /** How far back the page's time series reach when it opens, s. */
    historyS: z
      .int()
      .min(60)
      .max(24 * 3600)
      .default(1800),
  })
  .prefault({})
  .refine((w) => LOOPBACK_HOSTS.has(w.host) || w.tokens.length > 0, {
    message: "the web view listens beyond this machine only with tokens (web.tokens)",
    path: ["host"],
  });

export type WebConfig = z.infer<typeof webSchema>;
