import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TimeTagFileError } from "../../../agent/correlation/readers/errors.js";
import { PtuFile } from "../../../agent/correlation/readers/ptu-file.js";
import { SYNC_CHANNEL } from "../../../agent/correlation/readers/ptu-records.js";
import { RECORD_TYPES } from "../../../agent/correlation/readers/record-types.js";
import { Rng } from "../../../sim/random.js";
import { type Layout, type SynthEvent, writePtu } from "../../helpers/ptu-synth.js";

const dir = mkdtempSync(join(tmpdir(), "pb-ptu-"));
const FIXTURE = "test/fixtures/timetags/hydraharp_t2_hbt_320mhz.ptu";

async function readAll(file: string, options = {}) {
  const ptu = await PtuFile.open(file, { chunkRecords: 1000, ...options });
  const channels: number[] = [];
  const times: number[] = [];
  const dtimes: number[] = [];
  for await (const chunk of ptu.chunks()) {
    channels.push(...chunk.channels);
    times.push(...chunk.timesPs);
    if (chunk.dtimesPs) dtimes.push(...chunk.dtimesPs);
  }
  return { ptu, channels, times, dtimes };
}

describe("PTU reader on the real HydraHarp T2 file", () => {
  it("finds the reference figures: 409,482 records, 159,298 + 224,721 photons, 25,463 overflow records of 29,801 overflows", async () => {
    const { ptu, channels, times } = await readAll(FIXTURE, { chunkRecords: 65_536 });
    expect(ptu.info).toMatchObject({
      recordType: "HydraHarp 400 V2 T2",
      mode: "T2",
      records: 409_482,
      resolutionPs: 1,
    });
    expect(ptu.counters).toMatchObject({
      records: 409_482,
      overflowRecords: 25_463,
      overflows: 29_801,
      markers: 0,
      syncs: 0,
      photons: [159_298, 224_721],
    });
    expect(channels).toHaveLength(384_019);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect((times.at(-1)! - times[0]!) / 1e12).toBeCloseTo(0.99998, 5);
    expect(ptu.warnings).toEqual([]);
  });
});

describe("PTU reader on synthetic files of every record type", () => {
  const cases = [...RECORD_TYPES.values()].map((t) => ({
    name: t.name,
    layout: {
      code: t.code,
      mode: t.mode,
      picoharp: t.layout === "picoharp",
      singleWrap: t.singleWrap,
    } as Layout,
  }));

  it.each(cases)(
    "$name: every photon, sync and marker back at its exact time across many wraps",
    async ({ layout }) => {
      const rng = new Rng(layout.code >>> 0);
      const t3 = layout.mode === "T3";
      const events: SynthEvent[] = [];
      const expected: Array<[number, number, number]> = []; // channel, time ps, dtime ps
      const unitPs = t3 ? 25 : 4;
      const syncPeriodPs = 12_500;
      let time = 0;
      const lastOnChannel = new Map<number, [number, number]>();
      for (let i = 0; i < 3000; i++) {
        // Gaps up to several wraps, so single and multiple overflows both occur.
        time += Math.floor(
          rng.uniform() < 0.02
            ? rng.uniform() * (t3 ? 200_000 : 700_000_000)
            : rng.uniform() * (t3 ? 50 : 5_000_000),
        );
        const roll = rng.uniform();
        if (roll < 0.05) {
          events.push({ channel: { marker: 1 + Math.floor(rng.uniform() * 15) }, time, dtime: 0 });
          continue;
        }
        if (roll < 0.15 && !t3 && !layout.picoharp) {
          events.push({ channel: "sync", time });
          expected.push([SYNC_CHANNEL, time * unitPs, 0]);
          continue;
        }
        const channel = Math.floor(rng.uniform() * 4);
        let dtime = t3 ? Math.floor(rng.uniform() * (syncPeriodPs / unitPs)) : 0;
        // One channel's photons in one sync period come in dtime order, as a detector delivers them
        // (the reader refuses a channel whose time goes back).
        const previous = lastOnChannel.get(channel);
        if (t3 && previous && previous[0] === time) dtime = Math.max(dtime, previous[1]);
        lastOnChannel.set(channel, [time, dtime]);
        events.push({ channel, time, dtime });
        expected.push(
          t3
            ? [channel, Math.round(time * syncPeriodPs) + dtime * unitPs, dtime * unitPs]
            : [channel, time * unitPs, 0],
        );
      }
      const file = join(dir, `type-${layout.code.toString(16)}.ptu`);
      writePtu(
        file,
        layout,
        events,
        t3
          ? { globalResolutionS: syncPeriodPs * 1e-12, resolutionS: unitPs * 1e-12, syncRateHz: 80e6 }
          : { globalResolutionS: unitPs * 1e-12 },
      );
      const { ptu, channels, times, dtimes } = await readAll(file);
      expect(channels).toEqual(expected.map((e) => e[0]));
      expect(times).toEqual(expected.map((e) => e[1]));
      if (t3) expect(dtimes).toEqual(expected.map((e) => e[2]));
      expect(ptu.counters!.markers).toBe(events.filter((e) => typeof e.channel === "object").length);
      expect(ptu.counters!.overflows).toBeGreaterThan(t3 ? 10 : 3);
    },
  );
});

describe("PTU validation", () => {
  const hh2 = { code: 0x01010204, mode: "T2", picoharp: false, singleWrap: false } as Layout;
  const events: SynthEvent[] = [0, 1, 2].map((i) => ({ channel: i, time: i * 1000 }));

  it("refuses a header that declares a different number of records, unless forced", async () => {
    const file = join(dir, "count.ptu");
    writePtu(file, hh2, events, { globalResolutionS: 1e-12, declaredRecords: 5 });
    const err = await PtuFile.open(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeTagFileError);
    expect((err as TimeTagFileError).contradiction).toBe(true);
    expect((err as Error).message).toContain("the header declares 5 records but the file holds 3");
    const forced = await readAll(file, { force: true });
    expect(forced.ptu.warnings).toEqual([expect.stringContaining("declares 5 records")]);
    expect(forced.channels).toEqual([0, 1, 2]);
  });

  it("refuses T3 dtimes far beyond the declared sync period, and a sync rate that disagrees with it", async () => {
    const t3 = { code: 0x01010304, mode: "T3", picoharp: false, singleWrap: false } as Layout;
    const file = join(dir, "dtime.ptu");
    // 12.5 ns sync period, 25 ps units: dtime 2000 = 50 ns, four periods.
    writePtu(file, t3, [{ channel: 0, time: 1, dtime: 2000 }], {
      globalResolutionS: 12.5e-9,
      resolutionS: 25e-12,
    });
    const ptu = await PtuFile.open(file);
    const read = async () => {
      for await (const _ of ptu.chunks());
    };
    await expect(read()).rejects.toThrow("dtime values reach 50000 ps, far beyond the 12500 ps sync period");
    const rate = join(dir, "rate.ptu");
    writePtu(rate, t3, [{ channel: 0, time: 1, dtime: 10 }], {
      globalResolutionS: 12.5e-9,
      resolutionS: 25e-12,
      syncRateHz: 40e6,
    });
    await expect(PtuFile.open(rate)).rejects.toThrow("TTResult_SyncRate 40000000 Hz disagrees");
  });

  it("refuses what is not a PTU file, an unknown record type and a truncated header", async () => {
    const text = join(dir, "notes.ptu");
    writeFileSync(text, "these are my lab notes, not time tags");
    await expect(PtuFile.open(text)).rejects.toThrow('not a PTU file (magic "these ar"');
    const unknown = join(dir, "unknown.ptu");
    writePtu(unknown, { ...hh2, code: 0x00990204 }, events, { globalResolutionS: 1e-12 });
    await expect(PtuFile.open(unknown)).rejects.toThrow("unknown PTU record type 0x00990204");
    const cut = join(dir, "cut.ptu");
    writeFileSync(cut, Buffer.from("PQTTTR\0\x001.0.00\0\0File_Comment"));
    await expect(PtuFile.open(cut)).rejects.toThrow("truncated");
  });
});
