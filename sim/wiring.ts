/**
 * Which simulated chip sits at which I²C address, and what its pins are wired to on the bench,
 * all read from the bench file: power-monitor ADC inputs to the signals named in
 * `sim.adcSignals`, detector monitor inputs to their bias tees, DAC channels to the piezo axes
 * and the detectors' bias resistors.
 */
import { MCP4728_FULL_SCALE_V, MCP4728_MAX_CODE } from "../hal/devices/mcp4728.js";
import type { SimBench, SimBenchConfig } from "./bench.js";
import { Ads1115Twin } from "./twins/ads1115.js";
import type { I2cTarget } from "./twins/i2c.js";
import { Mcp4728Twin } from "./twins/mcp4728.js";

type Chips = Map<number, Map<number, I2cTarget>>;

export function buildI2cChips(config: SimBenchConfig, bench: SimBench): Chips {
  const adcInputs = new Map<string, Array<() => number>>();
  const dacChannels = new Map<string, Array<{ initialCode: number; onWrite: (code: number) => void }>>();
  const kinds = new Map<string, "adc" | "dac">();
  const claim = (bus: number, address: number, kind: "adc" | "dac") => {
    const key = `${bus}:${address}`;
    const had = kinds.get(key);
    if (had && had !== kind)
      throw new Error(
        `i2c-${bus} 0x${address.toString(16)} is wired as both an ADC and a DAC in the bench file`,
      );
    kinds.set(key, kind);
    return key;
  };
  const adc = (bus: number, address: number) => {
    const key = claim(bus, address, "adc");
    if (!adcInputs.has(key)) adcInputs.set(key, [() => 0, () => 0, () => 0, () => 0]);
    return adcInputs.get(key)!;
  };
  const dac = (bus: number, address: number) => {
    const key = claim(bus, address, "dac");
    if (!dacChannels.has(key))
      dacChannels.set(
        key,
        [0, 1, 2, 3].map(() => ({ initialCode: 0, onWrite: () => {} })),
      );
    return dacChannels.get(key)!;
  };
  const volts = (code: number) => (code / (MCP4728_MAX_CODE + 1)) * MCP4728_FULL_SCALE_V;

  for (const [name, device] of Object.entries(config.devices)) {
    if (device.type === "ads1115") {
      const inputs = adc(device.i2c.bus, device.i2c.address);
      for (const channel of device.channels) {
        const kind = config.sim.adcSignals[name]?.[channel.name];
        if (kind) inputs[channel.input] = () => bench.signal(kind) / channel.perVolt;
      }
    }
    if (device.type === "snspd-bias") {
      const detector = bench.detectors.get(name)!;
      adc(device.monitor.bus, device.monitor.address)[device.monitor.input] = () =>
        bench.monitorMv(detector) / 1000;
      dac(device.dac.bus, device.dac.address)[device.dac.channel] = {
        initialCode: Math.round(
          (detector.biasUa / device.biasUaPerV / MCP4728_FULL_SCALE_V) * (MCP4728_MAX_CODE + 1),
        ),
        onWrite: (code) => {
          detector.biasUa = volts(code) * device.biasUaPerV;
        },
      };
    }
    if (device.type === "fabry-perot") {
      // The DAC sets the cavity's detuning from the line's nominal frequency: the scan's middle
      // sits on it; the photodiode reads the line through the cavity at that detuning.
      let piezoV = device.scan.fromV;
      const midV = (device.scan.fromV + device.scan.toV) / 2;
      dac(device.dac.bus, device.dac.address)[device.dac.channel] = {
        initialCode: Math.round((piezoV / MCP4728_FULL_SCALE_V) * (MCP4728_MAX_CODE + 1)),
        onWrite: (code) => {
          piezoV = volts(code);
        },
      };
      adc(device.adc.bus, device.adc.address)[device.adc.input] = () =>
        bench.spectralLine.transmissionV(
          (piezoV - midV) * device.ghzPerV,
          device.fsrGHz,
          device.fsrGHz / device.finesse,
        );
    }
    if (device.type === "piezo-mcp4728") {
      const channels = dac(device.i2c.bus, device.i2c.address);
      for (const [axis, settings] of Object.entries(device.axes)) {
        const model = bench.stage[axis];
        if (!settings || !model) continue;
        channels[settings.channel] = {
          initialCode: Math.round((model.commandedUm / settings.travelUm) * MCP4728_MAX_CODE),
          onWrite: (code) => model.command((code / MCP4728_MAX_CODE) * settings.travelUm, bench.timeS),
        };
      }
    }
  }

  const chips: Chips = new Map();
  const place = (key: string, chip: I2cTarget) => {
    const [bus, address] = key.split(":").map(Number) as [number, number];
    if (!chips.has(bus)) chips.set(bus, new Map());
    chips.get(bus)!.set(address, chip);
  };
  for (const [key, inputs] of adcInputs) place(key, new Ads1115Twin(inputs));
  for (const [key, channels] of dacChannels)
    place(
      key,
      new Mcp4728Twin(
        channels.map((c) => c.initialCode),
        (channel, code) => channels[channel]!.onWrite(code),
      ),
    );
  return chips;
}
