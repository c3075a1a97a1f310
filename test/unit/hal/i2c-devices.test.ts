import sinon from "sinon";
import { describe, expect, it } from "vitest";
import { Ads1115, ads1115Config } from "../../../hal/devices/ads1115.js";
import { Mcp4728 } from "../../../hal/devices/mcp4728.js";
import { PiezoStage } from "../../../hal/devices/piezo-mcp4728.js";
import { SnspdBias } from "../../../hal/devices/snspd-bias.js";
import { ProtocolError } from "../../../hal/errors.js";
import type { I2cBus } from "../../../hal/interfaces.js";
import { Ads1115Twin } from "../../../sim/twins/ads1115.js";
import { Mcp4728Twin } from "../../../sim/twins/mcp4728.js";
import { fakeGpio } from "../../helpers/fakes.js";

/** An I2cBus stub over one register-map twin (no bus simulation, no bench). */
function busOver(
  chip: Ads1115Twin | Mcp4728Twin,
): I2cBus & { writeRaw: sinon.SinonSpy; writeBlock: sinon.SinonSpy } {
  const c = chip as Partial<Ads1115Twin & Mcp4728Twin>;
  return {
    busNumber: 1,
    readByte: sinon.stub().rejects(new Error("unused")),
    writeByte: sinon.stub().rejects(new Error("unused")),
    readWord: sinon.stub().rejects(new Error("unused")),
    writeWord: sinon.stub().rejects(new Error("unused")),
    readBlock: sinon.spy(async (_a: number, r: number, n: number) => c.readRegister!(r, n)),
    writeBlock: sinon.spy(async (_a: number, r: number, b: Uint8Array) => c.writeRegister!(r, b)),
    readRaw: sinon.spy(async (_a: number, n: number) => c.readRaw!(n)),
    writeRaw: sinon.spy(async (_a: number, b: Uint8Array) => c.writeRaw!(b)),
    close: sinon.stub().resolves(),
  };
}

/** The conversion wait, made immediate: these tests are about registers and arithmetic, not time. */
const noWait = async () => {};

describe("ADS1115", () => {
  it("builds the datasheet's config word: AIN0 single-ended, ±4.096 V, single shot, 128 SPS, comparator off", () => {
    // OS=1, MUX=100, PGA=001, MODE=1, DR=100, COMP_QUE=11 → 0b1100_0011_1000_0011
    expect(ads1115Config(0, 4.096)).toBe(0xc383);
    expect(ads1115Config(3, 0.256)).toBe(0xfb83);
    expect(() => ads1115Config(4, 4.096)).toThrow(RangeError);
  });

  it("converts counts to volts (1.25 V at ±4.096 V full scale is 10000 counts)", async () => {
    const adc = new Ads1115("pm", busOver(new Ads1115Twin([() => 1.25])), 0x48, noWait);
    expect(await adc.readInputV(0, 4.096)).toBeCloseTo((10000 * 4.096) / 32768, 9);
  });

  it("reports a clipped input as over range instead of a number", async () => {
    const adc = new Ads1115("pm", busOver(new Ads1115Twin([() => 5])), 0x48, noWait);
    await expect(adc.readInputV(0, 4.096)).rejects.toBeInstanceOf(ProtocolError);
  });

  it("serialises conversions on one chip so two devices never read each other's input", async () => {
    const adc = new Ads1115("monitors", busOver(new Ads1115Twin([() => 0.01, () => 0.2])), 0x49, noWait);
    const a = adc.readInputV(0, 0.256);
    const b = adc.readInputV(1, 0.256);
    expect(await a).toBeCloseTo(0.01, 4);
    expect(await b).toBeCloseTo(0.2, 4);
  });
});

describe("MCP4728 piezo stage", () => {
  it("writes the Multi-Write bytes for a position and reads it back from the DAC", async () => {
    const bus = busOver(new Mcp4728Twin([0, 0, 0, 0], () => {}));
    const stage = new PiezoStage("stage", new Mcp4728("stage", bus, 0x60), {
      y: { channel: 1, travelUm: 100 },
    });
    await stage.moveToUm("y", 50);
    // 50 µm of 100 µm → code round(0.5 × 4095) = 2048 = 0x800; command 0x40 | channel 1 << 1.
    expect([...bus.writeRaw.firstCall.args[1]]).toEqual([0x42, 0x90 | 0x08, 0x00]);
    expect(await stage.readPositionUm("y")).toBeCloseTo((2048 / 4095) * 100, 9);
  });

  it("refuses a move outside the soft limits and writes nothing", async () => {
    const bus = busOver(new Mcp4728Twin([0, 0, 0, 0], () => {}));
    const stage = new PiezoStage("stage", new Mcp4728("stage", bus, 0x60), {
      x: { channel: 0, travelUm: 100, minUm: 5, maxUm: 95 },
    });
    await expect(stage.moveToUm("x", 96)).rejects.toThrow("outside the soft limits 5…95 µm");
    await expect(stage.moveToUm("z", 10)).rejects.toThrow("no z axis");
    stage.hold();
    await expect(stage.moveToUm("x", 50)).rejects.toThrow("holding");
    expect(bus.writeRaw.called).toBe(false);
  });
});

describe("SNSPD bias", () => {
  const make = (monitorV: number) => {
    const dacBus = busOver(new Mcp4728Twin([1800, 0, 0, 0], () => {}));
    const enable = fakeGpio("out", 1);
    const detector = new SnspdBias(
      "detectorA",
      enable.line,
      new Mcp4728("dac", dacBus, 0x61),
      new Ads1115("mon", busOver(new Ads1115Twin([() => monitorV])), 0x49, noWait),
      {
        dacChannel: 0,
        biasUaPerV: 5,
        monitorInput: 0,
        monitorFullScaleV: 0.256,
        latchThresholdMv: 20,
        maxBiasUa: 11,
        readTemperatureK: async () => 2.5,
      },
    );
    return { detector, enable, dacBus };
  };

  it("reads bias from the DAC code (1800 mV × 5 µA/V = 9 µA) and refuses bias above the safety limit", async () => {
    const { detector, dacBus } = make(0);
    expect(await detector.readBiasUa()).toBeCloseTo(9, 9);
    await expect(detector.setBiasUa(11.5)).rejects.toThrow("safety limit");
    expect(dacBus.writeRaw.called).toBe(false);
  });

  it("calls a biased detector latched when the bias tee shows more than the threshold", async () => {
    expect(await make(0.045).detector.readLatched()).toBe(true);
    expect(await make(0.001).detector.readLatched()).toBe(false);
  });

  it("is made safe with zero bias and readout off", async () => {
    const { detector, enable } = make(0);
    await detector.makeSafe();
    expect(await detector.readBiasUa()).toBe(0);
    expect(enable.value).toBe(0);
  });
});
