/**
 * The PTU record types (PicoQuant's demo readers document the bit layouts; see ptu-records.ts) and,
 * for each, how many time units one overflow wrap adds: the wrap of the record's time field.
 */
import { TimeTagFileError } from "./errors.js";

export type Layout = "picoharp" | "generic";
export interface RecordType {
  code: number;
  name: string;
  mode: "T2" | "T3";
  layout: Layout;
  /** HydraHarp V1: an overflow record always means exactly one wrap. */
  singleWrap: boolean;
  /** Time units (T2) or syncs (T3) one wrap adds. */
  wrap: number;
}

/** Time units added per overflow wrap, by layout and mode. */
function wrapOf(layout: Layout, mode: "T2" | "T3", singleWrap: boolean): number {
  if (layout === "picoharp") return mode === "T3" ? 65_536 : 210_698_240;
  if (mode === "T3") return 1024; // 2^10 syncs
  return singleWrap ? 33_552_000 : 33_554_432; // HydraHarp V1; every later type 2^25
}

const types: Array<[number, string, "T2" | "T3", Layout, boolean]> = [
  [0x00010203, "PicoHarp 300 T2", "T2", "picoharp", false],
  [0x00010303, "PicoHarp 300 T3", "T3", "picoharp", false],
  [0x00010204, "HydraHarp 400 V1 T2", "T2", "generic", true],
  [0x00010304, "HydraHarp 400 V1 T3", "T3", "generic", true],
  [0x01010204, "HydraHarp 400 V2 T2", "T2", "generic", false],
  [0x01010304, "HydraHarp 400 V2 T3", "T3", "generic", false],
  [0x00010205, "TimeHarp 260 N T2", "T2", "generic", false],
  [0x00010305, "TimeHarp 260 N T3", "T3", "generic", false],
  [0x00010206, "TimeHarp 260 P T2", "T2", "generic", false],
  [0x00010306, "TimeHarp 260 P T3", "T3", "generic", false],
  [0x00010207, "MultiHarp / PicoHarp 330 (generic) T2", "T2", "generic", false],
  [0x00010307, "MultiHarp / PicoHarp 330 (generic) T3", "T3", "generic", false],
];
export const RECORD_TYPES: ReadonlyMap<number, RecordType> = new Map(
  types.map(([code, name, mode, layout, singleWrap]) => [
    code,
    { code, name, mode, layout, singleWrap, wrap: wrapOf(layout, mode, singleWrap) },
  ]),
);

export function recordType(code: number, file: string): RecordType {
  const type = RECORD_TYPES.get(code);
  if (!type)
    throw new TimeTagFileError(file, `unknown PTU record type 0x${code.toString(16).padStart(8, "0")}`);
  return type;
}
