/**
 * The HAL's typed errors. Every one names the device, and where there was one, the command sent
 * and the reply received, so a log line alone says what went wrong on which instrument.
 */
export interface HalErrorContext {
  device: string;
  command?: string;
  reply?: string;
  cause?: unknown;
}

export abstract class HalError extends Error {
  readonly device: string;
  readonly command: string | undefined;
  readonly reply: string | undefined;

  constructor(message: string, context: HalErrorContext) {
    super(
      `${context.device}: ${message}`,
      context.cause === undefined ? undefined : { cause: context.cause },
    );
    this.device = context.device;
    this.command = context.command;
    this.reply = context.reply;
  }

  /** Plain JSON for telemetry and logs. */
  toJSON(): { error: string; message: string; device: string; command?: string; reply?: string } {
    return {
      error: this.name,
      message: this.message,
      device: this.device,
      ...(this.command === undefined ? {} : { command: this.command }),
      ...(this.reply === undefined ? {} : { reply: this.reply }),
    };
  }
}

/** The device did not answer in time. */
export class DeviceTimeout extends HalError {
  override readonly name = "DeviceTimeout";
}

/** The device or its bus went away (USB unplugged, I²C address not acknowledged, port closed). */
export class DeviceGone extends HalError {
  override readonly name = "DeviceGone";
}

/** The bus itself failed (I/O error, permission, line misconfigured). */
export class BusError extends HalError {
  override readonly name = "BusError";
}

/** The device answered, but the answer does not parse or is out of range. */
export class ProtocolError extends HalError {
  override readonly name = "ProtocolError";
}

/** Printable form of a reply for error messages: control characters escaped, long replies cut. */
export function showReply(reply: string | Uint8Array, max = 80): string {
  const text = typeof reply === "string" ? reply : Buffer.from(reply).toString("latin1");
  const escaped = JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
  return escaped.slice(1, -1);
}
