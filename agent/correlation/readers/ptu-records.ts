/**
 * PTU record decoding for every record type of the PTU specification (PicoQuant's demo readers
 * document the bit layouts). Two layouts, each in T2 and T3:
 *
 *  PicoHarp 300        T2: chan[31:28] time[27:0]; chan 15 = special, time[3:0] = markers, 0 = overflow (+210 698 240)
 *                      T3: chan[31:28] dtime[27:16] nsync[15:0]; chan 15 = special, dtime 0 = overflow (+65 536 syncs)
 *  HydraHarp, TimeHarp 260, MultiHarp, PicoHarp 330 ("generic")
 *                      T2: special[31] chan[30:25] time[24:0]; T3: special[31] chan[30:25] dtime[24:10] nsync[9:0]
 *                      special chan 63 = overflow, special chan 1–15 = markers, special chan 0 = sync (T2 only).
 *                      HydraHarp V1 adds one wrap per overflow record (T2 33 552 000, T3 1024); every later
 *                      type adds wrap × the count in the record (2^25 or 1024, a count of 0 meaning 1).
 *
 * Output: integer picoseconds in a Float64Array, counted from the wrap boundary just before the
 * file's first event (its overflow records before that are the time origin, `timeOriginPs`), so
 * times stay exact to the picosecond for 2^53 ps = 2.5 h from the first tag however late into the
 * measurement the file starts; photon channels 0-based (PicoHarp T3 numbers its inputs 1–4 on the
 * wire); the sync as SYNC_CHANNEL.
 */
import { kernel, memoryOf, type WasmGlobal, type WasmMemory } from "../wasm.js";
import { RecordError } from "./errors.js";
import { WASM_BASE64 } from "./generic-t2.wasm.js";
import type { RecordType } from "./record-types.js";

export const SYNC_CHANNEL = 64;
/** Epochs move in whole multiples of this many time units (see takeEpochPs). */
const EPOCH_UNITS = 2 ** 32;

const genericT2Kernel = kernel<{
  memory: WasmMemory;
  ofl: WasmGlobal<number>;
  overflowRecords: WasmGlobal<number>;
  overflows: WasmGlobal<number>;
  syncs: WasmGlobal<number>;
  markers: WasmGlobal<number>;
  decode(
    wordsAt: number,
    n: number,
    channelsAt: number,
    timesAt: number,
    countsAt: number,
    wrap: number,
    single: number,
  ): number;
}>(WASM_BASE64);

export interface DecodeCounters {
  records: number;
  overflowRecords: number;
  overflows: number;
  markers: number;
  syncs: number;
  /** Photons per 0-based channel. */
  photons: number[];
  /** Largest T3 dtime seen, in units of the resolution (checked against the sync period). */
  maxDtime: number;
  /** T2/T3 time of the last record from the time origin, ps. */
  lastTimePs: number;
  /** The device's time at the origin the times count from, ps (decimal: it may pass 2^53). */
  timeOriginPs: string;
  /** quTAG: records that arrived after a later one and were sorted into place. */
  reordered?: number;
  /** Records that could not be used (forced read): too far out of order, impossible channel. */
  dropped?: number;
}

export function newCounters(): DecodeCounters {
  return {
    records: 0,
    overflowRecords: 0,
    overflows: 0,
    markers: 0,
    syncs: 0,
    photons: [],
    maxDtime: 0,
    lastTimePs: 0,
    timeOriginPs: "0",
  };
}

export interface DecodedChunk {
  channels: Uint8Array;
  timesPs: Float64Array;
  /** T3 only: photon arrival after its sync, ps (sync records have 0). */
  dtimesPs?: Float64Array;
}

/**
 * Stateful decoder (the overflow count carries across chunks). T2: one time unit = `unitPs`.
 * T3: the sync period is `syncPeriodPs` and one dtime unit `unitPs`.
 *
 * The arrays of a decoded chunk are reused by the next `decode()` call: use or copy them first.
 * (Allocating and zeroing 9 MB per 1 Mi-record chunk cost two thirds of the decode time.)
 */
export class PtuDecoder {
  private overflowUnits = 0;
  /** Overflow units before the first event: the time origin (BigInt: a file may start days in). */
  private originUnits: bigint | undefined = 0n;
  private channelsOut = new Uint8Array(0);
  private timesOut = new Float64Array(0);
  private dtimesOut = new Float64Array(0);
  readonly counters: DecodeCounters = newCounters();

  constructor(
    readonly type: RecordType,
    private readonly unitPs: number,
    private readonly syncPeriodPs = 0,
  ) {}

  /** Output arrays of at least `n` elements, kept for the next chunk. */
  private buffers(n: number, dtimes: boolean) {
    if (this.channelsOut.length < n) {
      this.channelsOut = new Uint8Array(n);
      this.timesOut = new Float64Array(n);
      this.dtimesOut = new Float64Array(dtimes ? n : 0);
    }
    return {
      channels: this.channelsOut,
      timesPs: this.timesOut,
      dtimesPs: dtimes ? this.dtimesOut : undefined,
    };
  }

  decode(chunk: Uint32Array): DecodedChunk {
    const words = this.originUnits === undefined ? chunk : this.skipToFirstEvent(chunk);
    if (this.type.layout === "generic" && this.type.mode === "T2") return this.decodeGenericT2(words);
    const n = words.length;
    const t3 = this.type.mode === "T3";
    const { channels, timesPs, dtimesPs } = this.buffers(n, t3);
    const c = this.counters;
    const photons = c.photons;
    const unit = this.unitPs;
    let out = 0;
    let ofl = this.overflowUnits;
    let maxDtime = c.maxDtime;
    const generic = this.type.layout === "generic";
    const single = this.type.singleWrap;
    for (let i = 0; i < n; i++) {
      const w = words[i]!;
      let channel: number;
      let time: number; // PicoHarp T2: time units; T3: nsync
      let dtime = 0;
      if (generic) {
        // T3 only here: generic T2 takes decodeGenericT2. The sync is implicit in T3 (nsync).
        channel = (w >>> 25) & 0x3f;
        dtime = (w >>> 10) & 0x7fff;
        time = w & 0x3ff;
        if (w >>> 31) {
          if (channel === 0x3f) {
            const wraps = single || time === 0 ? 1 : time;
            ofl += this.type.wrap * wraps;
            c.overflowRecords++;
            c.overflows += wraps;
          } else c.markers++;
          continue;
        }
      } else {
        channel = w >>> 28;
        if (t3) {
          dtime = (w >>> 16) & 0xfff;
          time = w & 0xffff;
        } else time = w & 0xfffffff;
        if (channel === 0xf) {
          const markers = t3 ? dtime : time & 0xf;
          if (markers === 0) {
            ofl += this.type.wrap;
            c.overflowRecords++;
            c.overflows++;
          } else c.markers++;
          continue;
        }
        if (t3) channel -= 1; // inputs 1–4 on the wire
        if (channel < 0)
          throw new RecordError(
            `record ${c.records + i} (0x${w.toString(16)}) names PicoHarp input 0, which does not exist`,
          );
      }
      if (t3) {
        timesPs[out] = Math.round((ofl + time) * this.syncPeriodPs) + dtime * unit;
        dtimesPs![out] = dtime * unit;
        if (dtime > maxDtime) maxDtime = dtime;
      } else timesPs[out] = (ofl + time) * unit;
      channels[out] = channel;
      photons[channel] = (photons[channel] ?? 0) + 1;
      out++;
    }
    this.overflowUnits = ofl;
    c.records += n;
    c.maxDtime = maxDtime;
    if (out > 0) c.lastTimePs = timesPs[out - 1]!;
    return {
      channels: channels.subarray(0, out),
      timesPs: timesPs.subarray(0, out),
      ...(dtimesPs ? { dtimesPs: dtimesPs.subarray(0, out) } : {}),
    };
  }

  /**
   * For a live stream that runs for days (T2, a whole-picosecond time unit): moves the running
   * time offset, in whole multiples of 2^32 units, out of the decoder and returns it in ps — a
   * multiple of 2^32 ps, the chunk's `epochPs` — so the times it decodes next stay small and exact.
   */
  takeEpochPs(): number {
    if (this.type.mode !== "T2" || !Number.isInteger(this.unitPs))
      throw new RangeError(`${this.type.name}: only T2 streams with whole-ps units move their epoch`);
    const units = Math.floor(this.overflowUnits / EPOCH_UNITS) * EPOCH_UNITS;
    this.overflowUnits -= units;
    return units * this.unitPs;
  }

  /**
   * Until the first event (photon or T2 sync): counts the overflow records into the time origin
   * instead of the running offset, and the markers; returns the words from the first event on.
   */
  private skipToFirstEvent(words: Uint32Array): Uint32Array {
    const c = this.counters;
    const { layout, mode, singleWrap } = this.type;
    const t3 = mode === "T3";
    let origin = this.originUnits ?? 0n;
    let i = 0;
    for (; i < words.length; i++) {
      const w = words[i]!;
      let wraps = 0;
      if (layout === "generic") {
        const channel = (w >>> 25) & 0x3f;
        if (!(w >>> 31) || (!t3 && channel === 0)) break; // a photon, or a T2 sync
        const count = t3 ? w & 0x3ff : w & 0x1ffffff;
        if (channel === 0x3f) wraps = singleWrap || count === 0 ? 1 : count;
      } else {
        if (w >>> 28 !== 0xf) break;
        if ((t3 ? (w >>> 16) & 0xfff : w & 0xf) === 0) wraps = 1;
      }
      if (wraps > 0) {
        origin += BigInt(wraps) * BigInt(this.type.wrap);
        c.overflowRecords++;
        c.overflows += wraps;
      } else c.markers++;
    }
    c.records += i;
    const unitPs = t3 ? this.syncPeriodPs : this.unitPs;
    c.timeOriginPs = Number.isInteger(unitPs)
      ? (origin * BigInt(unitPs)).toString()
      : (Number(origin) * unitPs).toFixed(0);
    this.originUnits = i < words.length ? undefined : origin;
    return words.subarray(i);
  }

  /** The common case (HydraHarp, TimeHarp 260, MultiHarp, PicoHarp 330 in T2), in WebAssembly. */
  private decodeGenericT2(words: Uint32Array): DecodedChunk {
    const n = words.length;
    const { channels, timesPs } = this.buffers(n, false);
    const c = this.counters;
    const k = genericT2Kernel();
    // Kernel memory: the words, the channels, the times (8-aligned), the 64 photon counts.
    const channelsAt = n * 4;
    const timesAt = Math.ceil((channelsAt + n) / 8) * 8;
    const countsAt = timesAt + n * 8;
    const buffer = memoryOf(k.memory, countsAt + 64 * 4);
    new Uint32Array(buffer, 0, n).set(words);
    const counts = new Int32Array(buffer, countsAt, 64);
    counts.fill(0);
    k.ofl.value = this.overflowUnits;
    k.overflowRecords.value = 0;
    k.overflows.value = 0;
    k.syncs.value = 0;
    k.markers.value = 0;
    const single = this.type.singleWrap;
    const out = k.decode(0, n, channelsAt, timesAt, countsAt, this.type.wrap, single ? 1 : 0);
    channels.set(new Uint8Array(buffer, channelsAt, out));
    timesPs.set(new Float64Array(buffer, timesAt, out));
    this.overflowUnits = k.ofl.value;
    c.overflowRecords += k.overflowRecords.value;
    c.overflows += k.overflows.value;
    c.syncs += k.syncs.value;
    c.markers += k.markers.value;
    // Time units to ps (1 ps on most of these instruments: nothing to do).
    const unit = this.unitPs;
    if (unit !== 1) for (let i = 0; i < out; i++) timesPs[i]! *= unit;
    for (let ch = 0; ch < 64; ch++) if (counts[ch]! > 0) c.photons[ch] = (c.photons[ch] ?? 0) + counts[ch]!;
    c.records += n;
    if (out > 0) c.lastTimePs = timesPs[out - 1]!;
    return { channels: channels.subarray(0, out), timesPs: timesPs.subarray(0, out) };
  }
}
