/**
 * Legacy PicoHarp 300 `.pt2` / `.pt3` files (file format version 2.0, PicoQuant's PT2/PT3 demo
 * readers document the layout; all fields little-endian, 4-byte aligned):
 *
 *   0    ASCII   Ident[16] "PicoHarp 300", FormatVersion[6], CreatorName[18], CreatorVersion[12],
 *                FileTime[18], CRLF[2], Comment[256]                                   → 328 bytes
 *   328  binary  NumberOfCurves, BitsPerRecord, RoutingChannels, NumberOfBoards, ActiveCurve,
 *                MeasMode (2 = T2, 3 = T3), SubMode, RangeNo, Offset, AcquisitionTime (ms), … ,
 *                DisplayCurves[8]{MapTo, Show}, Params[3]{Start, Step, End}, Repeat×4, ScriptName[20]
 *   536  board   HardwareIdent[16], HardwareVersion[8], HardwareSerial, SyncDivider, CFD×4,
 *                Resolution (float32, ns), RouterModelCode, RouterEnabled, RtChannel[4]{6 × int32}
 *   692  TTTR    ExtDevices, Reserved×2, CntRate0 (the sync rate, Hz), CntRate1, StopAfter,
 *                StopReason, NumberOfRecords, ImgHdrSize (int32 words that follow)
 *   728 + 4·ImgHdrSize: the records, the same words as PTU's PicoHarp 300 T2/T3 records.
 *
 * The header is returned with the PTU tag names the rest of the reader checks (record type,
 * resolutions, sync rate, acquisition time, record count), beside the legacy fields.
 */
import { TimeTagFileError } from "./errors.js";
import type { PtuHeader, TagValue } from "./ptu-header.js";

export const LEGACY_IDENT = "PicoHarp 300";
const TEXT_BYTES = 328;
const BINARY_AT = TEXT_BYTES;
const BOARD_AT = 536;
const TTTR_AT = 692;
export const LEGACY_FIXED_BYTES = 728;
/** PicoHarp 300 T2 time unit, s. */
const PICOHARP_T2_UNIT_S = 4e-12;
const PICOHARP_T2 = 0x00010203;
const PICOHARP_T3 = 0x00010303;

export function isLegacyPicoHarp(start: Uint8Array): boolean {
  return Buffer.from(start.subarray(0, LEGACY_IDENT.length)).toString("latin1") === LEGACY_IDENT;
}

/** Parses the header from `bytes` (the file's start); undefined if it is longer than `bytes`. */
export function parseLegacyHeader(bytes: Uint8Array, file: string): PtuHeader | undefined {
  if (bytes.length < LEGACY_FIXED_BYTES) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (at: number, length: number) =>
    buf
      .toString("latin1", at, at + length)
      .replace(/\0.*$/s, "")
      .trim();
  const int = (at: number) => buf.readInt32LE(at);
  const version = text(16, 6);
  if (version !== "2.0")
    throw new TimeTagFileError(file, `PicoHarp file format version "${version}"; only 2.0 is documented`);
  const measMode = int(BINARY_AT + 20);
  if (measMode !== 2 && measMode !== 3)
    throw new TimeTagFileError(
      file,
      `measurement mode ${measMode}: a PicoHarp histogram file, not T2 (2) or T3 (3) time tags`,
    );
  const imageWords = int(TTTR_AT + 32);
  if (imageWords < 0 || imageWords > 1 << 20)
    throw new TimeTagFileError(file, `impossible imaging header size ${imageWords}`);
  const headerBytes = LEGACY_FIXED_BYTES + 4 * imageWords;
  if (bytes.length < headerBytes) return undefined;
  const syncRateHz = int(TTTR_AT + 12);
  const resolutionS = buf.readFloatLE(BOARD_AT + 48) * 1e-9;
  if (measMode === 3 && syncRateHz <= 0)
    throw new TimeTagFileError(file, `T3 file with sync rate ${syncRateHz} Hz: the sync period is unknown`);
  const tags = new Map<string, TagValue>([
    ["Legacy_Ident", text(0, 16)],
    ["Legacy_CreatorName", text(22, 18)],
    ["Legacy_CreatorVersion", text(40, 12)],
    ["Legacy_FileTime", text(52, 18)],
    ["File_Comment", text(72, 256)],
    ["Legacy_MeasMode", measMode],
    ["Legacy_HardwareIdent", text(BOARD_AT, 16)],
    ["Legacy_HardwareSerial", int(BOARD_AT + 24)],
    ["Legacy_SyncDivider", int(BOARD_AT + 28)],
    ["Legacy_CntRate1", int(TTTR_AT + 16)],
    ["Legacy_StopReason", int(TTTR_AT + 24)],
    ["TTResultFormat_TTTRRecType", measMode === 2 ? PICOHARP_T2 : PICOHARP_T3],
    ["TTResultFormat_BitsPerRecord", int(BINARY_AT + 4)],
    ["MeasDesc_GlobalResolution", measMode === 2 ? PICOHARP_T2_UNIT_S : 1 / syncRateHz],
    ["MeasDesc_Resolution", measMode === 2 ? PICOHARP_T2_UNIT_S : resolutionS],
    ["MeasDesc_AcquisitionTime", int(BINARY_AT + 36)],
    ["TTResult_SyncRate", syncRateHz],
    ["TTResult_NumberOfRecords", int(TTTR_AT + 28)],
  ]);
  return { version, tags, headerBytes };
}
