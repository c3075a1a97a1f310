/**
 * The whole HAL contract: bus interfaces that back ends implement (real: onoff, i2c-bus,
 * serialport; simulated: sim/) and role interfaces that device drivers implement.
 * Types and doc comments only. Every method that touches hardware is asynchronous and rejects
 * with one of the errors in ./errors.ts, never with a library's own error.
 */

// ───────────────────────────── buses ─────────────────────────────

export type BinaryValue = 0 | 1;

/** One GPIO line, by header/BCM number (the back end maps it to the kernel's numbering). */
export interface GpioLine {
  readonly line: number;
  readonly direction: "in" | "out";
  /** The logical value (after active-low inversion, if configured). */
  read(): Promise<BinaryValue>;
  /** Outputs only: an input line rejects with BusError. */
  write(value: BinaryValue): Promise<void>;
  /**
   * Inputs only: calls `listener` with the new logical value on every edge, after debounce.
   * Returns the function that stops watching. Edges must be delivered even when no one reads.
   */
  watch(listener: (value: BinaryValue) => void): () => void;
  /** Releases the line. An output keeps its last level (the kernel holds it) — see each driver. */
  close(): Promise<void>;
  /** How another thread reaches this line (the interlock guard); absent: only through this object. */
  share?(): SharedLine;
}

/**
 * A GPIO line as another thread reaches it, without the main thread: its level in shared memory
 * (the simulated bench; ./shared-lines.ts) or the kernel's sysfs value file (logical: onoff sets
 * `active_low`). `written` is called on the main thread after the other thread wrote the line.
 */
export interface SharedLine {
  spec: LineShare;
  written?(value: BinaryValue): void;
}

export type LineShare =
  | { kind: "memory"; buffer: SharedArrayBuffer; index: number }
  | { kind: "sysfs"; valuePath: string };

export interface GpioOpenOptions {
  direction: "in" | "out";
  /** For outputs: the logical level the line takes when opened. Opening never glitches it high. */
  initial?: BinaryValue;
  activeLow?: boolean;
  debounceMs?: number;
}

/**
 * One I²C adapter (/dev/i2c-N). Addresses are 7-bit. `register` is the first byte written
 * before a read or write (the register pointer of most chips). Words are SMBus words: the
 * low byte travels first; chips with big-endian registers (ADS1115) use the block calls.
 * A target that does not acknowledge rejects with DeviceGone.
 */
export interface I2cBus {
  readonly busNumber: number;
  readByte(address: number, register: number): Promise<number>;
  writeByte(address: number, register: number, value: number): Promise<void>;
  readWord(address: number, register: number): Promise<number>;
  writeWord(address: number, register: number, value: number): Promise<void>;
  /** Writes `register`, then reads `length` bytes (an I²C block read, no count byte). */
  readBlock(address: number, register: number, length: number): Promise<Uint8Array>;
  writeBlock(address: number, register: number, bytes: Uint8Array): Promise<void>;
  /** Plain transfers with no register byte (MCP4728 commands, chips without a pointer). */
  readRaw(address: number, length: number): Promise<Uint8Array>;
  writeRaw(address: number, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Decides, from the bytes received so far for one request, whether its reply is complete.
 * Returns the parsed reply and how many bytes it used, or undefined to wait for more bytes.
 * Bytes beyond `consumed` stay buffered for the next request.
 */
export type ReplyReader<T> = (received: Uint8Array) => { value: T; consumed: number } | undefined;

export interface RequestOptions {
  /** Overrides the link's default reply timeout. */
  timeoutMs?: number;
  /** `urgent` requests (safety actions) go ahead of every queued request. */
  priority?: "normal" | "urgent";
}

/**
 * A serial line to one instrument. Requests go one at a time through a queue: a request is
 * written only after the previous one has its reply or has timed out. A request whose reply
 * does not come within the timeout rejects with DeviceTimeout; when the port closes under a
 * request (device unplugged) the request rejects with DeviceGone, as does every later call.
 */
export interface SerialLink {
  readonly path: string;
  readonly closed: boolean;
  /** Writes `line` plus the link's terminator; resolves with the first non-empty reply line. */
  query(line: string, options?: RequestOptions): Promise<string>;
  /** Writes `line` plus terminator for commands that send no reply; queued like a query. */
  send(line: string, options?: RequestOptions): Promise<void>;
  /** Writes raw bytes and reads the reply with a custom reader (multi-line or binary replies). */
  request<T>(data: Uint8Array | string, reader: ReplyReader<T>, options?: RequestOptions): Promise<T>;
  /** Raw write outside the request queue, for streaming instruments that frame their own replies. */
  write(data: Uint8Array | string): Promise<void>;
  /**
   * Streaming instruments: every received byte goes to the listeners. While a listener is
   * registered, bytes that no request consumes are not counted as stray.
   */
  onData(listener: (bytes: Uint8Array) => void): () => void;
  /** Bytes that arrived when no request waited and no listener listened (discarded, counted). */
  readonly strayBytes: number;
  close(): Promise<void>;
}

export type Parity = "none" | "even" | "odd" | "mark" | "space";

export interface SerialOpenOptions {
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: Parity;
  stopBits: 1 | 2;
  timeoutMs: number;
  /** Appended to each `query`/`send` line: "\r\n" (SCPI instruments) or "\r" (F-70). */
  terminator: string;
  /** Hardware flow control (RTS/CTS); off unless set. */
  rtscts?: boolean;
}

/** Opens buses. The hardware back end and the simulated bench each provide one. */
export interface BusProvider {
  readonly kind: "hardware" | "sim";
  /** `device` names the device that will use the bus: it goes into every error. */
  gpio(device: string, line: number, options: GpioOpenOptions): Promise<GpioLine>;
  i2c(device: string, busNumber: number): Promise<I2cBus>;
  serial(device: string, options: SerialOpenOptions): Promise<SerialLink>;
  close(): Promise<void>;
}

// ───────────────────────────── roles ─────────────────────────────

/** A value in telemetry: numbers carry their unit in their name (`tempK`, `powerMw`); lists are arrays. */
export type TelemetryValue = number | boolean | string | string[];
export type TelemetryValues = Record<string, TelemetryValue>;

/** Every driver can say how it is now, in one read of all its values. */
export interface TelemetrySource {
  readonly name: string;
  readTelemetry(): Promise<TelemetryValues>;
}

export type SensorInput = "A" | "B" | "C" | "D";
export type HeaterRange = "off" | "low" | "medium" | "high";

export interface TemperatureController extends TelemetrySource {
  identify(): Promise<string>;
  /** Rejects with ProtocolError when the input reports an invalid or out-of-range reading. */
  readTemperatureK(input: SensorInput): Promise<number>;
  setSetpointK(output: 1 | 2, tempK: number): Promise<void>;
  readSetpointK(output: 1 | 2): Promise<number>;
  setHeaterRange(output: 1 | 2, range: HeaterRange): Promise<void>;
  readHeaterRange(output: 1 | 2): Promise<HeaterRange>;
  readHeaterPercent(output: 1 | 2): Promise<number>;
}

export interface LaserFaults {
  code: number;
  /** One short text per active fault bit. */
  active: string[];
}

export interface Laser extends TelemetrySource {
  identify(): Promise<string>;
  setEmission(on: boolean, options?: RequestOptions): Promise<void>;
  readEmission(): Promise<boolean>;
  /** Refused (RangeError) above the safety limit the driver was built with. */
  setPowerMw(powerMw: number): Promise<void>;
  readPowerMw(): Promise<number>;
  readFaults(): Promise<LaserFaults>;
  /** Drives the hardware interlock line: false removes the permit to emit, at once. */
  setInterlockPermit(permit: boolean): Promise<void>;
  /** The interlock line, for the interlock guard's thread to drive (absent: setInterlockPermit only). */
  permitLine?(): SharedLine | undefined;
  /** Safe state: permit removed first (no serial round trip), then emission off. */
  makeSafe(): Promise<void>;
}

export interface CompressorStatus {
  running: boolean;
  /** Operating state as the compressor names it (e.g. "remote-on", "fault-off"). */
  state: string;
  alarms: string[];
}

export interface Compressor extends TelemetrySource {
  identify(): Promise<string>;
  readStatus(): Promise<CompressorStatus>;
  readPressuresPsig(): Promise<{ supplyPsig: number; returnPsig: number }>;
  start(): Promise<void>;
  stop(): Promise<void>;
  resetAlarms(): Promise<void>;
}

export interface PowerMonitor extends TelemetrySource {
  /** Single-ended voltage at an input, V. */
  readInputV(input: number): Promise<number>;
  /** Every configured channel converted to its named quantity (e.g. `coupledPowerMw`). */
  readChannels(): Promise<Record<string, number>>;
}

export type Axis = "x" | "y" | "z";

export interface Actuator extends TelemetrySource {
  readonly axes: readonly Axis[];
  /** Refused (RangeError, nothing moves) outside the soft limits. */
  moveToUm(axis: Axis, positionUm: number): Promise<void>;
  /** The commanded position read back from the driver electronics, µm. */
  readPositionUm(axis: Axis): Promise<number>;
  /** Stops accepting moves; the stage holds where it is. */
  hold(): void;
}

export interface Detector extends TelemetrySource {
  setEnabled(enabled: boolean): Promise<void>;
  /** Refused (RangeError) above the safety limit the driver was built with. */
  setBiasUa(biasUa: number): Promise<void>;
  readBiasUa(): Promise<number>;
  /** True when biased and the monitor voltage says the nanowire is normal (not counting). */
  readLatched(): Promise<boolean>;
  readTemperatureK(): Promise<number>;
  /** Safe state: bias to zero, readout disabled. */
  makeSafe(): Promise<void>;
}

export interface InterlockInput extends TelemetrySource {
  /** True when the input is in its unsafe state (door open, cryostat not OK). */
  readTripped(): Promise<boolean>;
  /** Calls `listener` on every change, from the line's edge interrupt. Returns unwatch. */
  watch(listener: (tripped: boolean) => void): () => void;
  /** The input's line and the level that means unsafe, for the interlock guard's thread. */
  sharedLine?(): { line: SharedLine; trippedLevel: BinaryValue } | undefined;
}

/**
 * Time tags in arrival order per chunk: `channels[i]` fired at `timesPs[i]`, integer picoseconds
 * since the source started, as `epochPs + timesPs[i]`: the epoch is a whole multiple of 2^32 ps
 * that the source moves up now and then, so `timesPs` stay well below 2^53 ps (2.5 hours), where a
 * float64 stops holding every integer. A consumer that spans an epoch change adds the difference.
 */
export interface TimeTagChunk {
  channels: Uint8Array;
  timesPs: Float64Array;
  epochPs: number;
}

export interface TimeTagSource extends TelemetrySource {
  /** Starts the stream; chunks are delivered in order. Rejects if no data arrives in time. */
  start(listener: (chunk: TimeTagChunk) => void): Promise<void>;
  stop(): Promise<void>;
  /** Host time (ms since the epoch) when the source last sent anything, heartbeats included. */
  readonly lastDataAtMs: number | undefined;
}
