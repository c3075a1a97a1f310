/**
 * Raw time tags as PicoQuant PTU, HydraHarp V2 T2 records at 1 ps, so PicoQuant's own software and
 * `photon-bench analyze` open the files. Record layout (the PTU specification's "generic" T2):
 * special[31] channel[30:25] time[24:0]; a photon is special 0 with its channel; the sync is special
 * channel 0; an overflow is special channel 63 whose time field counts 2^25-ps wraps (1 … 2^25 − 1).
 *
 * Channel numbers are the tagger's (0–62 for photons), so a recording shows the same numbers as the
 * live configuration; the sync channel is written as PTU sync records.
 *
 * Times in a file count from its first tag; `PhotonBench_TaggerStartPs` (a decimal string) gives
 * the tagger's clock at that tag. The header is written first with a record count and acquisition time of 0, and patched in place
 * when the file is closed (`headerPatch`); a file left unpatched by a crash is recovered from its
 * size (see TagRecorder).
 */

const RECORD_TYPE_HYDRAHARP_V2_T2 = 0x01010204;
const WRAP = 2 ** 25;
const MAX_WRAPS_PER_RECORD = WRAP - 1;
const SPECIAL = 0x80000000;
const OVERFLOW = (SPECIAL | (63 << 25)) >>> 0;
export const MAX_PHOTON_CHANNEL = 62;

const TagType = {
  Empty8: 0xffff0008,
  Int8: 0x10000008,
  Float8: 0x20000008,
  TDateTime: 0x21000008,
  AnsiString: 0x4001ffff,
};
type Tag = [ident: string, type: number, value: number | string];

/** Byte offsets of the values patched at close. */
export interface HeaderPatch {
  recordsAt: number;
  acquisitionMsAt: number;
}

function tagBytes([ident, type, value]: Tag): Buffer {
  const head = Buffer.alloc(48);
  head.write(ident, 0, 32, "latin1");
  head.writeInt32LE(-1, 32);
  head.writeUInt32LE(type, 36);
  if (type === TagType.AnsiString) {
    const text = Buffer.from(`${value}\0`, "latin1");
    const padded = Buffer.alloc(Math.ceil(text.length / 8) * 8);
    text.copy(padded);
    head.writeBigInt64LE(BigInt(padded.length), 40);
    return Buffer.concat([head, padded]);
  }
  if (type === TagType.Float8 || type === TagType.TDateTime) head.writeDoubleLE(Number(value), 40);
  else head.writeBigInt64LE(BigInt(value), 40);
  return head;
}

/** The PTU header for a recording that starts at `startedAt`; `comment` says where from. */
export function ptuHeader(
  startedAt: Date,
  comment: string,
  syncRateHz: number,
  /** The tagger's clock at the file's first tag, ps (decimal: it may exceed 2^53). */
  startPs = "0",
): { bytes: Buffer; patch: HeaderPatch } {
  const days = startedAt.getTime() / 86_400_000 + 25_569; // TDateTime: days since 1899-12-30
  const tags: Tag[] = [
    ["File_Comment", TagType.AnsiString, comment],
    ["File_CreatingTime", TagType.TDateTime, days],
    ["CreatorSW_Name", TagType.AnsiString, "photon-bench"],
    ["PhotonBench_TaggerStartPs", TagType.AnsiString, startPs],
    ["Measurement_Mode", TagType.Int8, 2],
    ["Measurement_SubMode", TagType.Int8, 0],
    ["TTResultFormat_TTTRRecType", TagType.Int8, RECORD_TYPE_HYDRAHARP_V2_T2],
    ["TTResultFormat_BitsPerRecord", TagType.Int8, 32],
    ["MeasDesc_GlobalResolution", TagType.Float8, 1e-12],
    ["MeasDesc_Resolution", TagType.Float8, 1e-12],
    ["TTResult_SyncRate", TagType.Int8, Math.round(syncRateHz)],
    ["MeasDesc_AcquisitionTime", TagType.Int8, 0],
    ["TTResult_NumberOfRecords", TagType.Int8, 0],
    ["Header_End", TagType.Empty8, 0],
  ];
  const parts: Buffer[] = [Buffer.from("PQTTTR\0\0", "latin1"), Buffer.from("1.0.00\0\0", "latin1")];
  const patch: HeaderPatch = { recordsAt: 0, acquisitionMsAt: 0 };
  let at = 16;
  for (const tag of tags) {
    if (tag[0] === "TTResult_NumberOfRecords") patch.recordsAt = at + 40;
    if (tag[0] === "MeasDesc_AcquisitionTime") patch.acquisitionMsAt = at + 40;
    const bytes = tagBytes(tag);
    parts.push(bytes);
    at += bytes.length;
  }
  return { bytes: Buffer.concat(parts), patch };
}

/** Encodes tags (times in ps from the file's start, ascending) to records, overflows included. */
export class PtuT2Encoder {
  /** 2^25-ps wraps written so far. */
  private wraps = 0;
  records = 0;
  /** Tags that could not be written: a channel above MAX_PHOTON_CHANNEL (counted, never silent). */
  skipped = 0;

  constructor(private readonly syncChannel: number | undefined) {}

  /** Tag i is at `timesPs[i] + offsetPs` from the file's start. */
  encode(channels: Uint8Array, timesPs: Float64Array, offsetPs = 0): Uint32Array {
    const out = new Uint32Array(channels.length * 2 + 8);
    let n = 0;
    for (let i = 0; i < channels.length; i++) {
      const t = timesPs[i]! + offsetPs;
      const wraps = Math.floor(t / WRAP);
      while (wraps > this.wraps) {
        const step = Math.min(wraps - this.wraps, MAX_WRAPS_PER_RECORD);
        if (n === out.length) return this.grow(out, n, channels, timesPs, offsetPs, i);
        out[n++] = (OVERFLOW | step) >>> 0;
        this.wraps += step;
      }
      const ch = channels[i]!;
      const time = t - wraps * WRAP;
      if (ch === this.syncChannel) out[n++] = (SPECIAL | time) >>> 0;
      else if (ch <= MAX_PHOTON_CHANNEL) out[n++] = ((ch << 25) | time) >>> 0;
      else this.skipped++;
      if (n === out.length) return this.grow(out, n, channels, timesPs, offsetPs, i + 1);
    }
    this.records += n;
    return out.subarray(0, n);
  }

  /** Out of room (a long silence needs many overflow records): finish the rest into a bigger buffer. */
  private grow(
    out: Uint32Array,
    n: number,
    channels: Uint8Array,
    timesPs: Float64Array,
    offsetPs: number,
    from: number,
  ): Uint32Array {
    this.records += n;
    const rest = this.encode(channels.subarray(from), timesPs.subarray(from), offsetPs);
    const joined = new Uint32Array(n + rest.length);
    joined.set(out.subarray(0, n));
    joined.set(rest, n);
    return joined;
  }
}
