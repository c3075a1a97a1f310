/**
 * Streams a PTU file (or a legacy PicoHarp .pt2/.pt3, whose header is mapped onto the PTU tags and
 * whose records are PTU's PicoHarp 300 records) in fixed-size chunks (constant memory whatever the file size) and checks it
 * against itself: magic, record type, 32-bit records, the declared record count against the file
 * size, and — once read — the data against the header (T3 dtimes beyond the sync period, a span
 * longer than the declared acquisition time). A contradiction is an error unless `force`, then a
 * warning.
 */
import { open } from "node:fs/promises";
import { endianness } from "node:os";
import { RecordError, TimeTagFileError } from "./errors.js";
import { isLegacyPicoHarp, parseLegacyHeader } from "./picoharp-legacy.js";
import { numberTag, type PtuHeader, parsePtuHeader } from "./ptu-header.js";
import { type DecodeCounters, type DecodedChunk, PtuDecoder } from "./ptu-records.js";
import { type RecordType, recordType } from "./record-types.js";
import { ChannelOrder } from "./time-order.js";
import { checkSpan, type ReadOptions, type TimeTagFile, type TimeTagFileInfo } from "./time-tag-file.js";

const HEADER_PROBE_BYTES = 1 << 16;
/** Resolutions a time-tagger has: 0.1 ps (finer than any) to 1 s (a T3 sync period at most). */
const MIN_RESOLUTION_S = 1e-13;
const MAX_RESOLUTION_S = 1;
// Records are read as a Uint32Array over the file's bytes: PTU is little-endian, and so must the host be.
if (endianness() !== "LE") throw new Error("PTU reading assumes a little-endian host");
/** A T3 dtime may exceed the sync period a little (dead time at the end of the range); twice it is impossible. */
const DTIME_SLACK = 2;

export class PtuFile implements TimeTagFile {
  readonly warnings: string[] = [];
  private decoder: PtuDecoder | undefined;

  private constructor(
    readonly info: TimeTagFileInfo,
    private readonly type: RecordType,
    private readonly options: ReadOptions,
  ) {}

  static async open(file: string, options: ReadOptions = {}): Promise<PtuFile> {
    const handle = await open(file, "r").catch((err: NodeJS.ErrnoException) => {
      throw new TimeTagFileError(file, `cannot open: ${err.code ?? err.message}`);
    });
    try {
      const size = (await handle.stat()).size;
      let header: PtuHeader | undefined;
      for (let probe = HEADER_PROBE_BYTES; !header; probe *= 4) {
        const buffer = Buffer.alloc(Math.min(probe, size));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        const bytes = buffer.subarray(0, bytesRead);
        header = isLegacyPicoHarp(bytes) ? parseLegacyHeader(bytes, file) : parsePtuHeader(bytes, file, size);
        if (!header && bytesRead >= size)
          throw new TimeTagFileError(file, "the header ends before Header_End: truncated file");
      }
      const code = numberTag(header, "TTResultFormat_TTTRRecType");
      if (code === undefined)
        throw new TimeTagFileError(file, "the header has no TTResultFormat_TTTRRecType");
      const type = recordType(code, file);
      const bits = numberTag(header, "TTResultFormat_BitsPerRecord");
      if (bits !== undefined && bits !== 32)
        throw new TimeTagFileError(file, `${bits}-bit records; every PTU record type is 32-bit`);
      const globalS = numberTag(header, "MeasDesc_GlobalResolution");
      const resolutionS = numberTag(header, "MeasDesc_Resolution");
      if (globalS === undefined)
        throw new TimeTagFileError(file, "the header has no MeasDesc_GlobalResolution");
      // A resolution no tagger has (1e-20 s would make every time 0 and every pair a coincidence).
      for (const [tag, value] of [
        ["MeasDesc_GlobalResolution", globalS],
        ["MeasDesc_Resolution", resolutionS],
      ] as const)
        if (value !== undefined && !(value >= MIN_RESOLUTION_S && value <= MAX_RESOLUTION_S))
          throw new TimeTagFileError(
            file,
            `${tag} ${value} s is not a time-tagger's resolution (${MIN_RESOLUTION_S}–${MAX_RESOLUTION_S} s)`,
          );
      const dataBytes = size - header.headerBytes;
      const records = Math.floor(dataBytes / 4);
      const syncRateHz = numberTag(header, "TTResult_SyncRate");
      const acqMs = numberTag(header, "MeasDesc_AcquisitionTime");
      const info: TimeTagFileInfo = {
        file,
        format: header.tags.has("Legacy_Ident") ? (type.mode === "T2" ? "PT2" : "PT3") : "PTU",
        recordType: type.name,
        recordTypeCode: code,
        mode: type.mode,
        records,
        resolutionPs: Math.round((type.mode === "T3" ? (resolutionS ?? globalS) : globalS) * 1e12),
        ...(type.mode === "T3" ? { syncPeriodPs: globalS * 1e12 } : {}),
        ...(syncRateHz ? { syncRateHz } : {}),
        ...(acqMs ? { acquisitionTimeS: acqMs / 1000 } : {}),
        header,
      };
      const ptu = new PtuFile(info, type, options);
      const declared = numberTag(header, "TTResult_NumberOfRecords");
      if (dataBytes % 4 !== 0) ptu.contradiction(`${dataBytes % 4} stray bytes after the last whole record`);
      if (declared !== undefined && declared !== records)
        ptu.contradiction(
          `the header declares ${declared} records but the file holds ${records} (${dataBytes} bytes after the ${header.headerBytes}-byte header)`,
        );
      if (type.mode === "T3" && syncRateHz && Math.abs(syncRateHz * globalS - 1) > 0.01)
        ptu.contradiction(
          `TTResult_SyncRate ${syncRateHz} Hz disagrees with MeasDesc_GlobalResolution ${globalS} s (a sync period of ${(1 / syncRateHz) * 1e12} ps)`,
        );
      return ptu;
    } finally {
      await handle.close();
    }
  }

  private contradiction(message: string): void {
    if (!this.options.force) throw new TimeTagFileError(this.info.file, message, true);
    this.warnings.push(message);
  }

  get counters(): DecodeCounters | undefined {
    return this.decoder?.counters;
  }

  /** Decoded chunks in file order; a fresh decoder each call. Checks the data against the header at the end. */
  async *chunks(): AsyncGenerator<DecodedChunk> {
    const { info } = this;
    const decoder = new PtuDecoder(this.type, info.resolutionPs, info.syncPeriodPs ?? 0);
    this.decoder = decoder;
    const order = new ChannelOrder();
    const refuse = (message: string): never => {
      throw new TimeTagFileError(info.file, message, true);
    };
    const chunkRecords = this.options.chunkRecords ?? 1 << 20;
    const buffer = Buffer.alloc(chunkRecords * 4);
    const handle = await open(info.file, "r");
    try {
      let position = info.header.headerBytes;
      for (let left = info.records; left > 0; ) {
        const want = Math.min(left, chunkRecords) * 4;
        const { bytesRead } = await handle.read(buffer, 0, want, position);
        if (bytesRead < want)
          throw new TimeTagFileError(
            info.file,
            `the file shrank while being read (at byte ${position + bytesRead})`,
          );
        position += bytesRead;
        left -= bytesRead / 4;
        let chunk: DecodedChunk;
        try {
          chunk = decoder.decode(new Uint32Array(buffer.buffer, buffer.byteOffset, bytesRead / 4));
        } catch (err) {
          if (err instanceof RecordError) throw new TimeTagFileError(info.file, err.message);
          throw err;
        }
        yield order.check(chunk, this.options.force ?? false, refuse);
      }
    } finally {
      await handle.close();
    }
    if (order.dropped > 0)
      this.warnings.push(
        `${order.dropped} records dropped: their channel's time went back or lay beyond any acquisition (--force)`,
      );
    this.checkData(decoder.counters);
  }

  private checkData(c: DecodeCounters): void {
    const { info } = this;
    if (
      info.mode === "T3" &&
      info.syncPeriodPs &&
      c.maxDtime * info.resolutionPs > DTIME_SLACK * info.syncPeriodPs
    )
      this.contradiction(
        `dtime values reach ${c.maxDtime * info.resolutionPs} ps, far beyond the ${info.syncPeriodPs.toFixed(0)} ps sync period the header declares`,
      );
    if (info.acquisitionTimeS && c.lastTimePs / 1e12 > 1.05 * info.acquisitionTimeS + 0.01)
      this.contradiction(
        `the data span ${(c.lastTimePs / 1e12).toFixed(3)} s, longer than the declared ${info.acquisitionTimeS} s acquisition: the header's time base (sync rate or resolution) is wrong`,
      );
    checkSpan(c, this.warnings);
  }
}
