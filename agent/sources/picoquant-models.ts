/**
 * PicoQuant's TCSPC libraries share one call shape (open, initialise in T2, sync divider, input
 * levels and offsets, start, ReadFiFo, flags and warnings, CTC status, stop, close) under a prefix
 * per product, with these differences (from the vendors' headers hhlib.h/hhdefin.h, mhlib.h/mhdefin.h,
 * th260lib.h/th260defin.h as shipped with their demos):
 *
 * - `Initialize(devidx, mode, refsource)` on HydraHarp and MultiHarp; `Initialize(devidx, mode)` on TimeHarp 260;
 * - constant-fraction discriminators `SetSyncCFD(dev, levelMv, zeroCrossMv)` / `SetInputCFD(dev, ch, …)`
 *   (HydraHarp, TimeHarp 260 P) or edge triggers `SetSyncEdgeTrg(dev, levelMv, edge)` /
 *   `SetInputEdgeTrg(dev, ch, …)` (MultiHarp, TimeHarp 260 N);
 * - `Calibrate(dev)` before a measurement on the HydraHarp only;
 * - the T2 record type the FIFO delivers (the same codes PTU files carry, record-types.ts);
 * - the largest read (`TTREADMAX`: 131 072 records, 1 048 576 on the MultiHarp).
 *
 * The flag bits (FLAG_FIFOFULL 0x0002, FLAG_SYNC_LOST 0x0004, FLAG_SYSERROR 0x0010) are common to the
 * three. The PicoHarp 300 (FLAG_FIFOFULL 0x0003, another record layout and input set-up) and the
 * PicoHarp 330 are not here yet; their files are read by `analyze`.
 */
import type { picoquantModels } from "../../config/taggers.js";

export type PicoQuantModel = (typeof picoquantModels)[number];

export interface PicoQuantFamily {
  /** Function name prefix: `HH_ReadFiFo`. */
  prefix: string;
  /** The library's usual file name on Linux (the bench file names the path). */
  libraryFile: string;
  initTakesRefSource: boolean;
  trigger: "cfd" | "edge";
  calibrate: boolean;
  /** PTU record type code of the T2 records the FIFO delivers. */
  t2RecordType: number;
  readMax: number;
}

export const PICOQUANT_FAMILIES: Record<PicoQuantModel, PicoQuantFamily> = {
  "HydraHarp 400": {
    prefix: "HH_",
    libraryFile: "libhh400.so",
    initTakesRefSource: true,
    trigger: "cfd",
    calibrate: true,
    t2RecordType: 0x01010204,
    readMax: 131_072,
  },
  "MultiHarp 150/160": {
    prefix: "MH_",
    libraryFile: "libmh150.so",
    initTakesRefSource: true,
    trigger: "edge",
    calibrate: false,
    t2RecordType: 0x00010207,
    readMax: 1_048_576,
  },
  "TimeHarp 260 P": {
    prefix: "TH260_",
    libraryFile: "libth260.so",
    initTakesRefSource: false,
    trigger: "cfd",
    calibrate: false,
    t2RecordType: 0x00010206,
    readMax: 131_072,
  },
  "TimeHarp 260 N": {
    prefix: "TH260_",
    libraryFile: "libth260.so",
    initTakesRefSource: false,
    trigger: "edge",
    calibrate: false,
    t2RecordType: 0x00010205,
    readMax: 131_072,
  },
};

export const MODE_T2 = 2;
export const FLAG_FIFOFULL = 0x0002;
export const FLAG_SYNC_LOST = 0x0004;
export const FLAG_SYSERROR = 0x0010;
/** The longest acquisition the libraries accept, ms (100 h); the stream is restarted after it. */
export const ACQ_MAX_MS = 360_000_000;
