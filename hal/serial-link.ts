/**
 * The one implementation of SerialLink's request discipline, over any byte transport (the
 * serialport library, a simulated instrument, a pty). Requests are queued and run one at a
 * time; each waits for its reply or its timeout before the next is written.
 */
import { BusError, DeviceGone, DeviceTimeout, showReply } from "./errors.js";
import type { ReplyReader, RequestOptions, SerialLink } from "./interfaces.js";
import type { Logger } from "./logger.js";

/** What a back end provides: bytes out, bytes in, and a close that may come from either side. */
export interface ByteTransport {
  write(bytes: Uint8Array): Promise<void>;
  /** The single sink for received bytes. */
  setReceiver(receiver: (bytes: Uint8Array) => void): void;
  /** Called once when the transport closes (by us, or by the device going away). */
  setCloseHandler(handler: (error?: Error) => void): void;
  close(): Promise<void>;
}

export interface LinkOptions {
  device: string;
  path: string;
  timeoutMs: number;
  /** Appended to query/send lines, and the sequence that ends a reply line. */
  terminator: string;
}

interface Pending {
  data: Uint8Array;
  label: string;
  reader: ReplyReader<unknown>;
  timeoutMs: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const encoder = new TextEncoder();
const toBytes = (data: Uint8Array | string) => (typeof data === "string" ? encoder.encode(data) : data);

/** Reads one reply line ending in `terminator`, skipping empty lines; the line excludes the terminator. */
export function lineReader(terminator: string): ReplyReader<string> {
  const term = encoder.encode(terminator);
  return (received) => {
    let start = 0;
    for (;;) {
      const end = indexOf(received, term, start);
      if (end < 0) return undefined;
      const line = Buffer.from(received.subarray(start, end)).toString("latin1");
      start = end + term.length;
      if (line.trim() !== "") return { value: line, consumed: start };
    }
  };
}

export function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export class QueuedSerialLink implements SerialLink {
  readonly path: string;
  private readonly queue: Pending[] = [];
  private active: Pending | undefined;
  private buffer = new Uint8Array(0);
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private closeReason: Error | undefined;
  private stray = 0;
  private readonly lineReplies: ReplyReader<string>;

  constructor(
    private readonly transport: ByteTransport,
    private readonly options: LinkOptions,
    private readonly logger: Logger,
  ) {
    this.path = options.path;
    this.lineReplies = lineReader(options.terminator);
    transport.setReceiver((bytes) => this.receive(bytes));
    transport.setCloseHandler((error) => this.closedUnderneath(error));
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  get strayBytes(): number {
    return this.stray;
  }

  query(line: string, options?: RequestOptions): Promise<string> {
    return this.request(line + this.options.terminator, this.lineReplies, options);
  }

  async send(line: string, options?: RequestOptions): Promise<void> {
    await this.request(line + this.options.terminator, () => ({ value: undefined, consumed: 0 }), options);
  }

  request<T>(data: Uint8Array | string, reader: ReplyReader<T>, options: RequestOptions = {}): Promise<T> {
    if (this.closeReason) return Promise.reject(this.gone(data));
    return new Promise<T>((resolve, reject) => {
      const bytes = toBytes(data);
      const pending: Pending = {
        data: bytes,
        label: showReply(bytes).replace(/\\r|\\n/g, ""),
        reader,
        timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      if (options.priority === "urgent") this.queue.unshift(pending);
      else this.queue.push(pending);
      this.pump();
    });
  }

  async write(data: Uint8Array | string): Promise<void> {
    if (this.closeReason) throw this.gone(data);
    try {
      await this.transport.write(toBytes(data));
    } catch (err) {
      throw this.writeError(err, showReply(toBytes(data)));
    }
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closeReason) return;
    this.closedUnderneath(new Error("closed by the agent"));
    await this.transport.close();
  }

  private pump(): void {
    if (this.active || this.closeReason) return;
    const next = this.queue.shift();
    if (!next) return;
    this.active = next;
    if (this.buffer.length > 0) {
      // Bytes left from a late reply or line noise must not be read as this request's reply.
      this.discardStray(this.buffer, "before a request");
      this.buffer = new Uint8Array(0);
    }
    this.timer = setTimeout(
      () =>
        this.finish(
          next,
          new DeviceTimeout(`no reply within ${next.timeoutMs} ms`, {
            device: this.options.device,
            command: next.label,
            reply: showReply(this.buffer),
          }),
        ),
      next.timeoutMs,
    );
    this.transport.write(next.data).then(
      () => {
        if (this.active === next) this.tryComplete();
      },
      (err: unknown) => this.finish(next, this.writeError(err, next.label)),
    );
  }

  private receive(bytes: Uint8Array): void {
    for (const listener of this.listeners) listener(bytes);
    if (!this.active) {
      if (this.listeners.size === 0) this.discardStray(bytes, "with no request waiting");
      return;
    }
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer);
    joined.set(bytes, this.buffer.length);
    this.buffer = joined;
    this.tryComplete();
  }

  private tryComplete(): void {
    const pending = this.active;
    if (!pending) return;
    let result: { value: unknown; consumed: number } | undefined;
    try {
      result = pending.reader(this.buffer);
    } catch (err) {
      this.buffer = new Uint8Array(0);
      this.finish(pending, err as Error);
      return;
    }
    if (!result) return;
    this.buffer = this.buffer.slice(result.consumed);
    this.finish(pending, undefined, result.value);
  }

  private finish(pending: Pending, error?: Error, value?: unknown): void {
    if (this.active !== pending) return;
    clearTimeout(this.timer);
    this.active = undefined;
    if (error) pending.reject(error);
    else pending.resolve(value);
    this.pump();
  }

  private discardStray(bytes: Uint8Array, when: string): void {
    this.stray += bytes.length;
    this.logger.warn(
      { device: this.options.device, bytes: bytes.length, strayBytes: this.stray, data: showReply(bytes) },
      `discarded ${bytes.length} unexpected bytes ${when}`,
    );
  }

  private closedUnderneath(error?: Error): void {
    if (this.closeReason) return;
    this.closeReason = error ?? new Error("port closed");
    clearTimeout(this.timer);
    const waiting = [...(this.active ? [this.active] : []), ...this.queue];
    this.active = undefined;
    this.queue.length = 0;
    for (const p of waiting) p.reject(this.gone(p.data));
  }

  private gone(data: Uint8Array | string): DeviceGone {
    return new DeviceGone(`serial port ${this.path} is closed (${this.closeReason?.message ?? "closed"})`, {
      device: this.options.device,
      command: showReply(toBytes(data)),
    });
  }

  private writeError(err: unknown, command: string): Error {
    if (this.closeReason) return this.gone(command);
    return new BusError(`write to ${this.path} failed: ${(err as Error).message}`, {
      device: this.options.device,
      command,
      cause: err,
    });
  }
}
