/**
 * A SerialLink that survives its instrument going away: when the port has closed under it (USB
 * unplugged, instrument power-cycled), the next request opens it again. Opening is lazy, so a
 * device whose port is missing at start-up is simply faulted until it appears; the caller's
 * retry backoff decides how often that is tried. Stream listeners move to each new port.
 */
import { DeviceGone } from "./errors.js";
import type { ReplyReader, RequestOptions, SerialLink } from "./interfaces.js";

export class ReopeningSerialLink implements SerialLink {
  private current: SerialLink | undefined;
  private opening: Promise<SerialLink> | undefined;
  private closedByUs = false;
  private readonly listeners = new Map<(bytes: Uint8Array) => void, () => void>();
  private strayOfClosedLinks = 0;

  constructor(
    private readonly device: string,
    readonly path: string,
    private readonly open: () => Promise<SerialLink>,
  ) {}

  get closed(): boolean {
    return this.closedByUs || this.current === undefined || this.current.closed;
  }

  get strayBytes(): number {
    return this.strayOfClosedLinks + (this.current?.strayBytes ?? 0);
  }

  private link(): Promise<SerialLink> {
    if (this.current && !this.current.closed) return Promise.resolve(this.current);
    if (this.closedByUs)
      return Promise.reject(
        new DeviceGone(`serial port ${this.path} was closed by the agent`, { device: this.device }),
      );
    this.opening ??= this.open()
      .then((link) => {
        this.strayOfClosedLinks += this.current?.strayBytes ?? 0;
        this.current = link;
        for (const listener of this.listeners.keys()) this.listeners.set(listener, link.onData(listener));
        return link;
      })
      .finally(() => {
        this.opening = undefined;
      });
    return this.opening;
  }

  async query(line: string, options?: RequestOptions): Promise<string> {
    return (await this.link()).query(line, options);
  }

  async send(line: string, options?: RequestOptions): Promise<void> {
    return (await this.link()).send(line, options);
  }

  async request<T>(data: Uint8Array | string, reader: ReplyReader<T>, options?: RequestOptions): Promise<T> {
    return (await this.link()).request(data, reader, options);
  }

  async write(data: Uint8Array | string): Promise<void> {
    return (await this.link()).write(data);
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.set(
      listener,
      this.current && !this.current.closed ? this.current.onData(listener) : () => {},
    );
    return () => {
      this.listeners.get(listener)?.();
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    await this.current?.close();
  }
}
