/**
 * Records the raw time tags to rotating PTU files — the lab's forensic trail. A file is written as
 * `tags-<start>.ptu.part`, and at rotation (size or age) its header gets the record count and
 * acquisition time, it is synced, renamed to `.ptu`, hashed, and a line goes to `manifest.jsonl`:
 * `{"file", "startedAt", "endedAt", "records", "bytes", "sha256"}`. Then retention deletes the
 * oldest files beyond `maxTotalBytes` or older than `maxAgeS`, each deletion a manifest line too.
 * A `.part` file found at start (the agent died mid-file) is recovered from its size and listed
 * with `"recovered": true`.
 *
 * Times in a file count from its first tag; files rotate at least every 2 h, so they stay far below
 * 2^53 ps. Tags arriving while the disk is more than `maxPendingBytes` behind are dropped, logged
 * and counted — never silently.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { appendFile, mkdir, open, readdir, rename, stat, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { TimeTagChunk } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { parsePtuHeader } from "../correlation/readers/ptu-header.js";
import { type HeaderPatch, PtuT2Encoder, ptuHeader } from "./ptu-writer.js";

export interface RecorderSettings {
  dir: string;
  /** The tagger recorded (named in the file comment). */
  source: string;
  syncChannel?: number;
  /** Laser repetition rate for the header's TTResult_SyncRate (0 when unknown). */
  syncRateHz: number;
  rotateBytes: number;
  rotateS: number;
  maxTotalBytes: number;
  maxAgeS: number;
  maxPendingBytes: number;
}

export interface RecorderStats {
  recording: boolean;
  currentFile: string | null;
  /** Bytes written to the current file so far. */
  currentFileBytes: number;
  filesClosed: number;
  recordedTags: number;
  droppedTags: number;
  skippedTags: number;
  deletedFiles: number;
}

interface OpenFile {
  name: string;
  stream: WriteStream;
  encoder: PtuT2Encoder;
  patch: HeaderPatch;
  startedAt: Date;
  epochPs: number;
  startPs: number;
  lastPs: number;
  bytes: number;
  /** The run in progress when the file began (agent/operations/runs.ts). */
  runId: string | undefined;
}

export const MANIFEST = "manifest.jsonl";

export class TagRecorder {
  private file: OpenFile | undefined;
  private closing: Promise<void> = Promise.resolve();
  private lastDropLogAt = 0;
  private opened = 0;
  private readonly stats: RecorderStats = {
    recording: false,
    currentFile: null,
    currentFileBytes: 0,
    filesClosed: 0,
    recordedTags: 0,
    droppedTags: 0,
    skippedTags: 0,
    deletedFiles: 0,
  };

  constructor(
    private readonly settings: RecorderSettings,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly runId: () => string | undefined = () => undefined,
  ) {}

  getStats(): RecorderStats {
    return { ...this.stats, currentFile: this.file?.name ?? null, currentFileBytes: this.file?.bytes ?? 0 };
  }

  /** Creates the directory and recovers files an earlier run left unfinished. */
  async start(): Promise<void> {
    await mkdir(this.settings.dir, { recursive: true });
    for (const name of (await readdir(this.settings.dir)).filter((n) => n.endsWith(".ptu.part")).sort())
      await this.recover(name);
    this.stats.recording = true;
  }

  /** Closes the current file (header, hash, manifest) and waits for every close in flight. */
  async stop(): Promise<void> {
    this.stats.recording = false;
    this.rotate();
    await this.closing;
  }

  push(chunk: TimeTagChunk): void {
    if (!this.stats.recording || chunk.channels.length === 0) return;
    let from = 0;
    while (from < chunk.channels.length) {
      const file = this.file ?? this.openFile(chunk, from);
      const offset = chunk.epochPs - file.epochPs - file.startPs;
      const times = chunk.timesPs.subarray(from);
      if (times[0]! + offset < file.lastPs) {
        // The tagger restarted its clock: this file ends here, a new one starts with these tags.
        this.rotate();
        continue;
      }
      const limitPs = this.settings.rotateS * 1e12;
      let end = times.length;
      while (end > 0 && times[end - 1]! + offset >= limitPs) end--;
      if (end > 0)
        this.write(file, chunk.channels.subarray(from, from + end), times.subarray(0, end), offset);
      from += end;
      if (end < times.length || file.bytes >= this.settings.rotateBytes) this.rotate();
    }
  }

  private write(file: OpenFile, channels: Uint8Array, times: Float64Array, offset: number): void {
    if (file.stream.writableLength > this.settings.maxPendingBytes) {
      this.stats.droppedTags += channels.length;
      const at = Date.now();
      if (at - this.lastDropLogAt > 10_000) {
        this.lastDropLogAt = at;
        this.logger.error(
          { file: file.name, droppedTags: this.stats.droppedTags, pendingBytes: file.stream.writableLength },
          "the disk cannot keep up: time tags dropped from the recording",
        );
      }
      return;
    }
    const skippedBefore = file.encoder.skipped;
    const words = file.encoder.encode(channels, times, offset);
    this.stats.skippedTags += file.encoder.skipped - skippedBefore;
    file.stream.write(Buffer.from(words.buffer, words.byteOffset, words.byteLength));
    file.bytes += words.byteLength;
    file.lastPs = times[times.length - 1]! + offset;
    this.stats.recordedTags += channels.length;
  }

  private openFile(chunk: TimeTagChunk, from: number): OpenFile {
    const startedAt = this.now();
    // Named by start time and a sequence number, so names sort in time order and never collide.
    const name = `tags-${startedAt.toISOString().replace(/[:.]/g, "-")}-${String(this.opened++).padStart(4, "0")}.ptu`;
    const startPs = (BigInt(chunk.epochPs) + BigInt(chunk.timesPs[from]!)).toString();
    const header = ptuHeader(
      startedAt,
      `photon-bench raw time tags from ${this.settings.source}`,
      this.settings.syncRateHz,
      startPs,
    );
    const stream = createWriteStream(join(this.settings.dir, `${name}.part`), { flags: "wx" });
    stream.on("error", (err) =>
      this.logger.error({ file: name, err: err.message }, "recording file write failed"),
    );
    stream.write(header.bytes);
    this.file = {
      name,
      stream,
      encoder: new PtuT2Encoder(this.settings.syncChannel),
      patch: header.patch,
      startedAt,
      runId: this.runId(),
      epochPs: chunk.epochPs,
      startPs: chunk.timesPs[from]!,
      lastPs: 0,
      bytes: header.bytes.length,
    };
    return this.file;
  }

  private rotate(): void {
    const file = this.file;
    if (!file) return;
    this.file = undefined;
    const endedAt = this.now();
    this.closing = this.closing
      .then(() => this.close(file, endedAt))
      .catch((err: Error) =>
        this.logger.error({ file: file.name, err: err.message }, "closing a recording failed"),
      );
  }

  private async close(file: OpenFile, endedAt: Date): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      file.stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    const part = join(this.settings.dir, `${file.name}.part`);
    await this.patchHeader(part, file.patch, file.encoder.records, Math.ceil(file.lastPs / 1e9));
    await rename(part, join(this.settings.dir, file.name));
    await this.listInManifest(file.name, {
      startedAt: file.startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      records: file.encoder.records,
      ...(file.runId ? { runId: file.runId } : {}),
    });
    this.stats.filesClosed++;
    await this.applyRetention();
  }

  private async patchHeader(
    path: string,
    patch: HeaderPatch,
    records: number,
    acquisitionMs: number,
  ): Promise<void> {
    const handle = await open(path, "r+");
    try {
      const value = Buffer.alloc(8);
      value.writeBigInt64LE(BigInt(records));
      await handle.write(value, 0, 8, patch.recordsAt);
      value.writeBigInt64LE(BigInt(acquisitionMs));
      await handle.write(value, 0, 8, patch.acquisitionMsAt);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async listInManifest(name: string, fields: Record<string, unknown>): Promise<void> {
    const path = join(this.settings.dir, name);
    const hash = createHash("sha256");
    for await (const block of createReadStream(path)) hash.update(block as Buffer);
    const bytes = (await stat(path)).size;
    const line = { file: name, ...fields, bytes, sha256: hash.digest("hex") };
    await appendFile(join(this.settings.dir, MANIFEST), `${JSON.stringify(line)}\n`);
    this.logger.info(line, "recording closed");
  }

  /** A `.part` left by a crash: whole records only, the count from the size, renamed and listed. */
  private async recover(partName: string): Promise<void> {
    const path = join(this.settings.dir, partName);
    const name = partName.slice(0, -".part".length);
    const handle = await open(path, "r");
    const probe = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(probe, 0, probe.length, 0);
    await handle.close();
    const header = (() => {
      try {
        return parsePtuHeader(probe.subarray(0, bytesRead), path);
      } catch {
        return undefined;
      }
    })();
    if (!header) {
      this.logger.error({ file: partName }, "unfinished recording has no readable header; left as it is");
      return;
    }
    const size = (await stat(path)).size;
    const records = Math.floor((size - header.headerBytes) / 4);
    await truncate(path, header.headerBytes + 4 * records);
    // The values to patch sit 40 bytes after their tag's identifier.
    const valueAt = (ident: string) =>
      probe.subarray(0, header.headerBytes).indexOf(`${ident}\0`, 0, "latin1") + 40;
    const patch = {
      recordsAt: valueAt("TTResult_NumberOfRecords"),
      acquisitionMsAt: valueAt("MeasDesc_AcquisitionTime"),
    };
    if (patch.recordsAt < 40 || patch.acquisitionMsAt < 40) {
      this.logger.error(
        { file: partName },
        "unfinished recording lacks the header tags to patch; left as it is",
      );
      return;
    }
    await this.patchHeader(path, patch, records, 0);
    await rename(path, join(this.settings.dir, name));
    await this.listInManifest(name, { records, recovered: true });
    this.logger.warn({ file: name, records }, "recovered a recording the last run left unfinished");
  }

  private async applyRetention(): Promise<void> {
    const { dir, maxTotalBytes, maxAgeS } = this.settings;
    const files = await Promise.all(
      (await readdir(dir))
        .filter((n) => n.endsWith(".ptu"))
        .sort()
        .map(async (name) => ({ name, ...(await stat(join(dir, name))) })),
    );
    let total = files.reduce((sum, f) => sum + f.size, 0);
    const now = this.now().getTime();
    for (const f of files) {
      const tooOld = (now - f.mtimeMs) / 1000 > maxAgeS;
      if (!tooOld && total <= maxTotalBytes) break;
      await unlink(join(dir, f.name));
      total -= f.size;
      this.stats.deletedFiles++;
      const reason = tooOld ? `older than ${maxAgeS} s` : `recordings over ${maxTotalBytes} bytes`;
      await appendFile(
        join(dir, MANIFEST),
        `${JSON.stringify({ deleted: f.name, reason, at: new Date(now).toISOString() })}\n`,
      );
      this.logger.info({ file: f.name, reason }, "recording deleted by retention");
    }
  }
}
