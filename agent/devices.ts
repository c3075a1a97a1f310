/**
 * Builds every device in the bench file: opens its buses through the provider its `backend`
 * names, wraps serial ports so they reopen after an unplug, shares ADC/DAC chips between the
 * devices wired to them, and gives each driver the bench's safety limits. A device that cannot
 * be built is still listed, as permanently faulted with the reason, so telemetry shows it.
 */

import type { DeviceConfig } from "../config/devices.js";
import type { BenchConfig } from "../config/schema.js";
import { Ads1115, Ads1115PowerMonitor } from "../hal/devices/ads1115.js";
import { GpioInterlock } from "../hal/devices/gpio-interlock.js";
import { LakeShore336 } from "../hal/devices/lakeshore336.js";
import { Mcp4728 } from "../hal/devices/mcp4728.js";
import { ObisLaser } from "../hal/devices/obis-laser.js";
import { PiezoStage } from "../hal/devices/piezo-mcp4728.js";
import { SerialTagger } from "../hal/devices/serial-tagger.js";
import { SnspdBias } from "../hal/devices/snspd-bias.js";
import { SumitomoF70 } from "../hal/devices/sumitomo-f70.js";
import type {
  Actuator,
  BusProvider,
  Compressor,
  Detector,
  I2cBus,
  InterlockInput,
  Laser,
  PowerMonitor,
  SensorInput,
  SerialLink,
  TelemetrySource,
  TemperatureController,
  TimeTagSource,
} from "../hal/interfaces.js";
import type { Logger } from "../hal/logger.js";
import { ReopeningSerialLink } from "../hal/reopening-link.js";
import type { SampledDevice } from "./services/telemetry.js";

export interface BenchDevices {
  /** Every device, for the telemetry sampler, in bench-file order. */
  sampled: SampledDevice[];
  temperatureControllers: Map<string, TemperatureController>;
  lasers: Map<string, Laser>;
  compressors: Map<string, Compressor>;
  powerMonitors: Map<string, PowerMonitor>;
  actuators: Map<string, Actuator>;
  detectors: Map<string, Detector>;
  interlockInputs: Map<string, InterlockInput>;
  timeTagSources: Map<string, TimeTagSource>;
}

/** Reply line terminators of each serial instrument. */
const TERMINATOR: Partial<Record<DeviceConfig["type"], string>> = {
  lakeshore336: "\r\n",
  "obis-laser": "\r\n",
  "sumitomo-f70": "\r",
  "serial-tagger": "\r\n",
};

/** Build order: inputs before the lasers they hold, thermometers before the detectors that read them. */
const BUILD_ORDER: Array<DeviceConfig["type"]> = [
  "gpio-interlock",
  "lakeshore336",
  "sumitomo-f70",
  "obis-laser",
  "ads1115",
  "piezo-mcp4728",
  "snspd-bias",
  "serial-tagger",
];

class UnavailableDevice implements TelemetrySource {
  constructor(
    readonly name: string,
    private readonly reason: unknown,
  ) {}
  readTelemetry(): Promise<never> {
    return Promise.reject(this.reason);
  }
}

export interface BuildOptions {
  providerFor: (device: string) => BusProvider;
  /** Lasers whose permit line must open low (an interlock covering them is tripped now). */
  lasersToHold: (inputs: ReadonlyMap<string, InterlockInput>) => Promise<Set<string>>;
  logger: Logger;
}

export async function buildDevices(config: BenchConfig, options: BuildOptions): Promise<BenchDevices> {
  const out: BenchDevices = {
    sampled: [],
    temperatureControllers: new Map(),
    lasers: new Map(),
    compressors: new Map(),
    powerMonitors: new Map(),
    actuators: new Map(),
    detectors: new Map(),
    interlockInputs: new Map(),
    timeTagSources: new Map(),
  };
  const chips = new Map<string, Ads1115 | Mcp4728>();
  const sampled = new Map<string, SampledDevice>();
  let heldLasers: Set<string> | undefined;

  const serial = (name: string, device: Extract<DeviceConfig, { serial: unknown }>): SerialLink => {
    const provider = options.providerFor(name);
    const settings = { ...device.serial, terminator: TERMINATOR[device.type] ?? "\r\n" };
    return new ReopeningSerialLink(name, device.serial.path, () => provider.serial(name, settings));
  };
  const bus = (name: string, busNumber: number): Promise<I2cBus> =>
    options.providerFor(name).i2c(name, busNumber);
  const shared = async <T extends Ads1115 | Mcp4728>(
    name: string,
    busNumber: number,
    address: number,
    make: (chipName: string, bus: I2cBus) => T,
  ): Promise<T> => {
    const key = `${options.providerFor(name).kind}:${busNumber}:${address}`;
    if (!chips.has(key))
      chips.set(key, make(`i2c-${busNumber}@0x${address.toString(16)}`, await bus(name, busNumber)));
    return chips.get(key) as T;
  };
  const adc = (name: string, b: number, a: number) =>
    shared(name, b, a, (chip, i2c) => new Ads1115(chip, i2c, a));
  const dac = (name: string, b: number, a: number) =>
    shared(name, b, a, (chip, i2c) => new Mcp4728(chip, i2c, a));

  const build = async (name: string, device: DeviceConfig): Promise<TelemetrySource> => {
    const provider = options.providerFor(name);
    switch (device.type) {
      case "gpio-interlock": {
        const line = await provider.gpio(name, device.line, {
          direction: "in",
          debounceMs: device.debounceMs,
        });
        const input = new GpioInterlock(name, line, device.trippedWhen);
        out.interlockInputs.set(name, input);
        return input;
      }
      case "lakeshore336": {
        const tc = new LakeShore336(name, serial(name, device), device);
        out.temperatureControllers.set(name, tc);
        return tc;
      }
      case "sumitomo-f70": {
        const compressor = new SumitomoF70(name, serial(name, device));
        out.compressors.set(name, compressor);
        return compressor;
      }
      case "obis-laser": {
        heldLasers ??= await options.lasersToHold(out.interlockInputs);
        const permit = heldLasers.has(name) ? 0 : 1;
        const line = await provider.gpio(name, device.interlockLine.line, {
          direction: "out",
          initial: permit,
          activeLow: device.interlockLine.activeLow,
        });
        const laser = new ObisLaser(name, serial(name, device), line, {
          maxPowerMw: config.safety.laserMaxPowerMw,
        });
        out.lasers.set(name, laser);
        return laser;
      }
      case "ads1115": {
        const monitor = new Ads1115PowerMonitor(
          name,
          await adc(name, device.i2c.bus, device.i2c.address),
          device.channels,
        );
        out.powerMonitors.set(name, monitor);
        return monitor;
      }
      case "piezo-mcp4728": {
        const limits = config.safety.actuatorLimitsUm[name] ?? {};
        const axes = Object.fromEntries(
          Object.entries(device.axes).map(([axis, a]) => [
            axis,
            { ...a, ...limits[axis as keyof typeof limits] },
          ]),
        );
        const stage = new PiezoStage(name, await dac(name, device.i2c.bus, device.i2c.address), axes);
        out.actuators.set(name, stage);
        return stage;
      }
      case "snspd-bias": {
        const tc = out.temperatureControllers.get(device.temperature.device);
        const thermometer = config.devices[device.temperature.device];
        const letter =
          thermometer?.type === "lakeshore336" ? thermometer.inputs[device.temperature.input] : undefined;
        if (!tc || !letter)
          throw new Error(`thermometer ${device.temperature.device}.${device.temperature.input} unavailable`);
        const line = await provider.gpio(name, device.enableLine.line, {
          direction: "out",
          initial: 1,
          activeLow: device.enableLine.activeLow,
        });
        const detector = new SnspdBias(
          name,
          line,
          await dac(name, device.dac.bus, device.dac.address),
          await adc(name, device.monitor.bus, device.monitor.address),
          {
            dacChannel: device.dac.channel,
            biasUaPerV: device.biasUaPerV,
            monitorInput: device.monitor.input,
            monitorFullScaleV: device.monitor.fullScaleV,
            latchThresholdMv: device.latchThresholdMv,
            maxBiasUa: config.safety.detectorMaxBiasUa,
            readTemperatureK: () => tc.readTemperatureK(letter as SensorInput),
          },
        );
        out.detectors.set(name, detector);
        return detector;
      }
      case "serial-tagger": {
        const channelNames: Record<number, string> = {};
        if (device.channels.sync !== undefined) channelNames[device.channels.sync] = "sync";
        for (const [detector, channel] of Object.entries(device.channels.detectors))
          channelNames[channel] = detector;
        const tagger = new SerialTagger(
          name,
          serial(name, device),
          { channelNames, firstFrameTimeoutMs: Math.max(1000, device.serial.timeoutMs) },
          options.logger.child({ device: name }),
        );
        out.timeTagSources.set(name, tagger);
        return tagger;
      }
    }
  };

  const entries = Object.entries(config.devices).sort(
    ([, a], [, b]) => BUILD_ORDER.indexOf(a.type) - BUILD_ORDER.indexOf(b.type),
  );
  for (const [name, device] of entries) {
    try {
      sampled.set(name, { name, type: device.type, source: await build(name, device) });
    } catch (err) {
      options.logger.error({ device: name, err: (err as Error).message }, `could not set up ${name}`);
      sampled.set(name, { name, type: device.type, source: new UnavailableDevice(name, err) });
    }
  }
  out.sampled = Object.keys(config.devices).map((name) => sampled.get(name)!);
  return out;
}
