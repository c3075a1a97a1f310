/**
 * A simulated serial instrument behind the HAL's ByteTransport: bytes written by the driver are
 * split into lines, each line goes to the instrument twin, and its reply comes back after the
 * instrument's latency, like over a real cable. Faults act here: a garbled reply has characters
 * replaced, an unplugged device closes the port under the driver.
 */
import { DeviceGone } from "../hal/errors.js";
import type { ByteTransport } from "../hal/serial-link.js";
import type { SimBench } from "./bench.js";
import type { Rng } from "./random.js";

/**
 * An instrument's protocol: a reply (without terminator) or nothing to each command. Commands are
 * lines, unless the instrument frames its own (binary protocols: `frame` says how long the message
 * at the start of the bytes received is, which are latin1 text here, one character per byte).
 */
export interface LineInstrument {
  handle(line: string): string | undefined;
  frame?(inbox: string): number | undefined;
  /** Streaming instruments get a way to send bytes unasked (time-tag frames). */
  attach?(send: (bytes: Uint8Array) => void): void;
  detach?(): void;
}

/** A reply from a slow instrument arrives this long after the command's last byte, ms. */
export const SIM_REPLY_LATENCY_MS = 3;

const decoder = new TextDecoder("latin1");

/** The next command in `inbox` (a line, trimmed, empty lines skipped; or the instrument's frame) and the rest. */
export function takeCommand(
  instrument: LineInstrument,
  inbox: string,
): { command: string; rest: string } | undefined {
  if (instrument.frame) {
    const length = instrument.frame(inbox);
    return length === undefined ? undefined : { command: inbox.slice(0, length), rest: inbox.slice(length) };
  }
  let rest = inbox;
  for (;;) {
    const end = rest.search(/[\r\n]/);
    if (end < 0) return undefined;
    const command = rest.slice(0, end).trim();
    rest = rest.slice(end + 1);
    if (command !== "") return { command, rest };
  }
}

export class SimSerialTransport implements ByteTransport {
  private receiver: (bytes: Uint8Array) => void = () => {};
  private closeHandler: (error?: Error) => void = () => {};
  private inbox = "";
  private closed = false;
  private readonly unwatch: () => void;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly device: string,
    private readonly instrument: LineInstrument,
    private readonly bench: SimBench,
    private readonly replyTerminator: string,
    private readonly rng: Rng,
  ) {
    this.unwatch = bench.onChange(() => {
      if (bench.unplugged.has(device)) this.shut(new Error(`${device} unplugged`));
    });
    instrument.attach?.((bytes) => this.deliver(bytes));
  }

  setReceiver(receiver: (bytes: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  setCloseHandler(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new DeviceGone("port closed", { device: this.device });
    this.inbox += decoder.decode(bytes);
    for (
      let next = takeCommand(this.instrument, this.inbox);
      next;
      next = takeCommand(this.instrument, this.inbox)
    ) {
      this.inbox = next.rest;
      const reply = this.instrument.handle(next.command);
      if (reply === undefined) continue;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.deliver(Buffer.from(this.maybeGarble(reply) + this.replyTerminator, "latin1"));
      }, SIM_REPLY_LATENCY_MS);
      this.timers.add(timer);
    }
  }

  private deliver(bytes: Uint8Array): void {
    if (!this.closed) this.receiver(bytes);
  }

  private maybeGarble(reply: string): string {
    const mode = this.bench.garbled.get(this.device);
    if (!mode) return reply;
    if (mode === "once") this.bench.garbled.delete(this.device);
    // Line noise: a third of the characters replaced by random printable ones.
    return [...reply]
      .map((c) =>
        this.rng.uniform() < 0.34 ? String.fromCharCode(33 + Math.floor(this.rng.uniform() * 90)) : c,
      )
      .join("");
  }

  private shut(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.unwatch();
    this.instrument.detach?.();
    this.closeHandler(error);
  }

  async close(): Promise<void> {
    this.shut();
  }
}
