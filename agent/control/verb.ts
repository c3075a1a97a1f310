/** One verb: the schema of its arguments and the handler that runs them. */
import type { z } from "zod";
import type { ControlContext } from "./context.js";

export interface Verb<S extends z.ZodType = z.ZodType> {
  request: S;
  /** `by`: who asked (for the config history); the result becomes the response's `data`. */
  handle(args: z.infer<S>, ctx: ControlContext, by: string): Promise<unknown>;
}

export function verb<S extends z.ZodType>(
  request: S,
  handle: (args: z.infer<S>, ctx: ControlContext, by: string) => Promise<unknown>,
): Verb<S> {
  return { request, handle };
}
