/**
 * A Swabian Time Tagger as a live tagger (config `swabian-tagger`). Swabian publishes no C API, so
 * the agent runs the vendor's Python module in a sidecar process (sidecars/swabian_stream.py) and
 * reads its stdout: a JSON handshake line (`protocol` must be ours), then frames of
 * (i64 time ps, u8 channel) batches from a `TimeTagStream`, an empty one at least every 100 ms.
 * Its stderr goes to the log. The sidecar dying (or its handshake failing) is the device's fault
 * with the sidecar's last words; the supervisor (services/time-tags.ts) restarts it with backoff.
 * The tagger's overflows (tags lost on the USB link) are counted and reported in `faults`.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter } from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { ChannelRates } from "../../hal/devices/channel-rates.js";
import type { TelemetryValues, TimeTagChunk, TimeTagSource } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { ByteQueue } from "./byte-queue.js";

export interface SwabianSettings {
  python: string;
  modulePath?: string | undefined;
  sidecar?: string | undefined;
  serialNumber: string;
  bufferEvents: number;
  pollMs: number;
  startTimeoutMs: number;
  inputs: Record<string, { triggerLevelV?: number | undefined; delayPs?: number | undefined }>;
  /** Inputs whose events are divided (the sync, by `channels.syncDivider`). */
  eventDividers: Record<string, number>;
  /** Telemetry name per channel: { 3: "sync", 1: "detectorA", … }. */
  channelNames: Record<number, string>;
}

export const SIDECAR_PROTOCOL = 1;
const MAGIC = 0x54544250; // "PBTT" little-endian
const HEADER_BYTES = 16;
const TWO_32 = 2 ** 32;
const STDERR_LINES_KEPT = 5;

/** The sidecar script of this installation (from the sources or from dist/). */
export function defaultSidecar(): string {
  for (const up of ["../../", "../../../"]) {
    const path = fileURLToPath(new URL(`${up}sidecars/swabian_stream.py`, import.meta.url));
    if (existsSync(path)) return path;
  }
  return fileURLToPath(new URL("../../sidecars/swabian_stream.py", import.meta.url));
}

type Sidecar = ChildProcessByStdio<Writable, Readable, Readable>;

export class SwabianTagger implements TimeTagSource {
  private child: Sidecar | undefined;
  private fault: Error | undefined;
  private lastAt: number | undefined;
  private readonly rates: ChannelRates;
  private stderrTail: string[] = [];
  private hello: Record<string, unknown> = {};
  private readonly recent = new Set<string>();
  private readonly count = { tagsRead: 0, overflows: 0, missedEvents: 0, sidecarExits: 0 };

  constructor(
    readonly name: string,
    private readonly settings: SwabianSettings,
    private readonly logger: Logger,
  ) {
    this.rates = new ChannelRates(settings.channelNames);
  }

  get lastDataAtMs(): number | undefined {
    return this.lastAt;
  }

  async start(listener: (chunk: TimeTagChunk) => void): Promise<void> {
    if (this.child) return;
    const s = this.settings;
    const script = s.sidecar ?? defaultSidecar();
    const args = {
      serial: s.serialNumber,
      channels: Object.keys(s.channelNames).map(Number),
      triggerLevelsV: pick(s.inputs, "triggerLevelV"),
      delaysPs: pick(s.inputs, "delayPs"),
      eventDividers: s.eventDividers,
      bufferEvents: s.bufferEvents,
      pollMs: s.pollMs,
    };
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: "1" };
    if (s.modulePath) env.PYTHONPATH = [s.modulePath, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
    const child = spawn(s.python, [script, JSON.stringify(args)], { env, stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    this.stderrTail = [];
    this.rates.restart();
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      for (const line of text.split("\n").filter((l) => l.trim())) {
        this.logger.warn({ stderr: line }, "Swabian sidecar");
        this.stderrTail = [...this.stderrTail, line].slice(-STDERR_LINES_KEPT);
      }
    });
    child.stdin.on("error", () => undefined); // a dead sidecar: its exit says why
    try {
      await this.handshake(child, listener);
    } catch (err) {
      this.fault = err instanceof Error ? err : new Error(String(err));
      await this.kill(child);
      throw this.fault;
    }
    this.fault = undefined;
    child.once("exit", (code, signal) => {
      if (this.child !== child) return; // stopped on purpose
      this.child = undefined;
      this.count.sidecarExits++;
      this.fault = new Error(`the Swabian sidecar exited (${signal ?? `code ${code}`})${this.lastWords()}`);
      this.logger.error({ err: this.fault.message }, "the Swabian stream stopped");
    });
  }

  private lastWords(): string {
    return this.stderrTail.length > 0 ? `: ${this.stderrTail.join(" | ")}` : "";
  }

  /** Resolves on the sidecar's handshake line, then reads its frames. */
  private handshake(child: Sidecar, listener: (chunk: TimeTagChunk) => void): Promise<void> {
    const bytes = new ByteQueue();
    return new Promise<void>((resolve, reject) => {
      let greeted = false;
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `the Swabian sidecar did not answer within ${this.settings.startTimeoutMs} ms${this.lastWords()}`,
            ),
          ),
        this.settings.startTimeoutMs,
      );
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${this.settings.python}: ${err.message}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        // Let stderr drain first: the sidecar's last words say why.
        setTimeout(
          () =>
            reject(
              new Error(
                `the Swabian sidecar exited (${signal ?? `code ${code}`}) before its handshake${this.lastWords()}`,
              ),
            ),
          50,
        );
      });
      child.stdout.on("data", (data: Buffer) => {
        bytes.push(data);
        if (!greeted) {
          const line = bytes.takeLine();
          if (line === undefined) return;
          clearTimeout(timer);
          try {
            this.hello = checkHello(line);
          } catch (err) {
            reject(err);
            return;
          }
          greeted = true;
          this.lastAt = Date.now();
          this.logger.info(this.hello, "Swabian Time Tagger streaming");
          resolve();
        }
        this.readFrames(bytes, listener);
      });
    });
  }

  private readFrames(bytes: ByteQueue, listener: (chunk: TimeTagChunk) => void): void {
    for (;;) {
      if (bytes.length < HEADER_BYTES) return;
      const header = bytes.peek(HEADER_BYTES);
      if (header.readUInt32LE(0) !== MAGIC) {
        this.fault = new Error(
          "the Swabian sidecar's stream is out of step (no frame marker): restarting it",
        );
        this.child?.kill("SIGTERM");
        return;
      }
      const n = header.readUInt32LE(4);
      if (bytes.length < HEADER_BYTES + 9 * n) return;
      const frame = bytes.take(HEADER_BYTES + 9 * n);
      this.lastAt = Date.now();
      if (header.readUInt32LE(8) & 1) {
        this.count.overflows++;
        this.recent.add("the Time Tagger overflowed: tags were lost (more than its USB link carries)");
      }
      this.count.missedEvents += header.readUInt32LE(12);
      if (n > 0) this.hand(listener, frame, n);
    }
  }

  /** Times from the first tag's 2^32 ps boundary (the epoch), exact however long the clock has run. */
  private hand(listener: (chunk: TimeTagChunk) => void, frame: Buffer, n: number): void {
    const high0 = frame.readInt32LE(HEADER_BYTES + 4);
    const timesPs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const at = HEADER_BYTES + 8 * i;
      timesPs[i] = (frame.readInt32LE(at + 4) - high0) * TWO_32 + frame.readUInt32LE(at);
    }
    const channels = Uint8Array.from(frame.subarray(HEADER_BYTES + 8 * n, HEADER_BYTES + 9 * n));
    const epochPs = high0 * TWO_32;
    this.count.tagsRead += n;
    this.rates.add(channels, epochPs + timesPs[n - 1]!);
    listener({ channels, timesPs, epochPs });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await this.kill(child);
  }

  private async kill(child: Sidecar): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin.end();
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  }

  async readTelemetry(): Promise<TelemetryValues> {
    if (this.fault) throw this.fault;
    const values: TelemetryValues = {
      streaming: this.child !== undefined,
      model: String(this.hello.model ?? ""),
      serialNumber: String(this.hello.serial ?? ""),
      softwareVersion: String(this.hello.timeTaggerVersion ?? ""),
      ...this.count,
      faults: [...this.recent],
    };
    this.recent.clear();
    return Object.assign(values, this.rates.takeOrNone());
  }
}

function checkHello(line: string): Record<string, unknown> {
  let hello: Record<string, unknown>;
  try {
    hello = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(
      `the Swabian sidecar's first line is not its handshake: ${JSON.stringify(line.slice(0, 120))}`,
    );
  }
  if (hello.sidecar !== "photon-bench-swabian" || hello.protocol !== SIDECAR_PROTOCOL)
    throw new Error(
      `the Swabian sidecar speaks ${String(hello.sidecar)} protocol ${String(hello.protocol)}; this agent speaks photon-bench-swabian protocol ${SIDECAR_PROTOCOL}`,
    );
  return hello;
}

function pick<K extends string>(inputs: Record<string, Partial<Record<K, number | undefined>>>, key: K) {
  return Object.fromEntries(
    Object.entries(inputs).flatMap(([ch, input]) => (input[key] === undefined ? [] : [[ch, input[key]]])),
  );
}
