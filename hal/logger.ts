/** The slice of a pino logger the HAL uses; tests pass pino({ level: "silent" }) or a sinon spy. */
import type { Logger as PinoLogger } from "pino";

export type Logger = Pick<PinoLogger, "info" | "warn" | "error" | "debug" | "child">;
