/** The fields every published payload schema shares (./payload-schemas.ts, ./operations-payloads.ts). */
import { z } from "zod";

export const ts = z.iso.datetime({ offset: true }).describe("when, ISO 8601 UTC");
export const seq = z.int().min(1).describe("per-topic sequence number, counted across restarts");
