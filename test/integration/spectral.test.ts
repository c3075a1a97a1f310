/**
 * The linewidth and the wavemeter on the simulated bench, against the line the sim was built with:
 * the Fabry–Pérot is swept through the DAC twin and read through the ADC twin, the wavemeter on its
 * SCPI twin. Without spectral diffusion the fitted linewidth is the sim's 800 MHz within its error
 * and the wavemeter reads the set wavelength; a broadened line raises spectral-diffusion, and a
 * wandering one is followed by the wavemeter's drift.
 */
import { describe, expect, it } from "vitest";
import { benchPerTest } from "../helpers/agent-bench.js";
import { checkPayloads } from "../helpers/payload-check.js";

const SPECTRAL = {
  "devices.cavity": {
    type: "fabry-perot",
    dac: { bus: 1, address: 0x61, channel: 3 },
    adc: { bus: 1, address: 0x48, input: 3 },
    ghzPerV: 2,
    fsrGHz: 15,
    finesse: 150,
    scan: { fromV: 0.5, toV: 3.5, points: 150 },
  },
  "devices.wavemeter": { type: "scpi-wavemeter", serial: { path: "/dev/ttyWM" } },
  spectral: { fabryPerot: "cavity", everyS: 1, maxLinewidthMHz: 2000, alarmAfterScans: 2 },
};

describe("spectral purity on the sim", () => {
  const runBench = benchPerTest();

  it("fits the sim's 800 MHz line within its error; the wavemeter reads 930 nm; broadening is an alarm", async () => {
    const running = await runBench("spectral", { ...SPECTRAL, "sim.spectral": { wanderGHz: 0 } });
    const { sim, sub, root } = running;
    const first = await sub.waitFor((m) => m.topic === `${root}/measurement/linewidth`, 15_000);
    const p = first.payload as Record<string, number>;
    expect(p.instrumentWidthMHz).toBe(100);
    expect(Math.abs(p.linewidthMHz! - 800)).toBeLessThan(4 * p.linewidthErrorMHz!);
    expect(p.linewidthErrorMHz).toBeLessThan(20);
    // The line sits in the middle of the 6 GHz scan.
    expect(Math.abs(p.centreGHz! - 3)).toBeLessThan(0.02);
    const wm = await sub.waitFor((m) => m.topic === `${root}/telemetry/wavemeter`);
    expect((wm.payload.values as Record<string, number>).wavelengthNm).toBe(930);
    expect((wm.payload.values as Record<string, number>).driftPm).toBe(0);
    // Broadened to 3 GHz (spectral diffusion faster than a scan): two broad scans raise the alarm.
    sim.bench.inject({ fault: "line-broadening", linewidthMHz: 3000 });
    const alarm = await sub.waitFor(
      (m) => m.topic === `${root}/alarm/spectral-diffusion` && m.payload.active === true,
      15_000,
    );
    expect(String(alarm.payload.message)).toMatch(/^linewidth \d+ MHz above 2000 MHz for 2 scans in a row/);
    const broad = sub.messages.filter((m) => m.topic === `${root}/measurement/linewidth`).at(-1)!;
    const b = broad.payload as Record<string, number>;
    expect(Math.abs(b.linewidthMHz! - 3000)).toBeLessThan(4 * b.linewidthErrorMHz! + 30);
    expect((broad.payload.history as unknown[]).length).toBeGreaterThanOrEqual(3);
    const checked = checkPayloads(root, sub.messages);
    expect(checked.failures).toEqual([]);
    expect(checked.kinds).toContain("measurement-linewidth");
  }, 40_000);

  it("follows a wandering line: the wavemeter's drift is the sim's centre shift", async () => {
    const running = await runBench("spectral-wander", {
      ...SPECTRAL,
      "sim.spectral": { wanderGHz: 2, wanderTimeS: 5 },
    });
    const { sim, sub, root } = running;
    const wavemeter = (from: number) =>
      sub.waitFor((x) => x.topic === `${root}/telemetry/wavemeter`, 5000, from);
    const first = (await wavemeter(0)).payload.values as Record<string, number>;
    await new Promise((r) => setTimeout(r, 1500)); // the line wanders meanwhile
    // The sim's clock stops: the line's centre is frozen, and what the wavemeter reads next is it.
    sim.clock.stop();
    const truthNm = sim.bench.spectralLine.wavelengthNm;
    // A read sampled before the stop may still be on its way: the third one after it is not.
    for (let k = 0; k < 2; k++) await wavemeter(sub.messages.length);
    const read = (await wavemeter(sub.messages.length)).payload.values as Record<string, number>;
    expect(read.wavelengthNm).toBe(Number(truthNm.toFixed(6)));
    // The drift is from the driver's first reading, which may have been published before this
    // subscriber joined: its reference is what any message's wavelength minus its drift says.
    const referenceNm = first.wavelengthNm! - first.driftPm! / 1000;
    expect(read.driftPm).toBeCloseTo((read.wavelengthNm! - referenceNm) * 1000, 2);
    expect(Math.abs(read.driftPm!)).toBeGreaterThan(0.01); // it did wander (2 GHz ≈ 6 pm r.m.s. at 930 nm)
  }, 30_000);
});
