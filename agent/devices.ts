/**
 * Builds every device in the bench file: opens its buses through the provider its `backend`
 * names, wraps serial ports so they reopen after an unplug, shares ADC/DAC chips between the
 * devices wired to them, and gives each driver the bench's safety limits. A device that cannot
 * be built is still listed, as permanently faulted with the reason, so telemetry shows it.
 */

import type { SerialSettings } from "../config/common.js";
import { type DeviceConfig, type DeviceOfType, type DeviceType, deviceTypes } from "../config/devices.js";
import type { BenchConfig } from "../config/schema.js";
import { Ads1115, Ads1115PowerMonitor } from "../hal/devices/ads1115.js";
import { FabryPerot } from "../hal/devices/fabry-perot.js";
import { GpioInterlock } from "../hal/devices/gpio-interlock.js";
import { LakeShore336 } from "../hal/devices/lakeshore336.js";
import { Mcp4728 } from "../hal/devices/mcp4728.js";
import { ObisLaser } from "../hal/devices/obis-laser.js";
import { ScpiWavemeter } from "../hal/devices/scpi-wavemeter.js";
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
import { stageDrivers } from "./stage-drivers.js";
import { taggerDrivers } from "./tagger-drivers.js";

export interface SampledDevice {
  name: string;
  type: string;
  source: TelemetrySource;
}

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
  fabryPerots: Map<string, FabryPerot>;
}

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

/** What the device builders share while one bench is built. */
export interface BuildContext {
  config: DeviceSlice;
  options: BuildOptions;
  out: BenchDevices;
  serial(name: string, device: Extract<DeviceConfig, { serial: unknown }>): SerialLink;
  /** A serial port of `type`'s framing with these settings (a device with a port per axis). */
  serialPort(name: string, type: DeviceType, settings: SerialSettings): SerialLink;
  /** An instrument's text protocol over TCP (reconnected like an unplugged port). */
  tcpLink(
    name: string,
    tcp: { host: string; port: number; timeoutMs: number },
    terminator: string,
  ): SerialLink;
  adc(name: string, bus: number, address: number): Promise<Ads1115>;
  dac(name: string, bus: number, address: number): Promise<Mcp4728>;
  /** Lasers an interlock holds now, asked once when the first laser is built. */
  heldLasers(): Promise<Set<string>>;
}

export type DriverFactory<T extends DeviceType> = (
  ctx: BuildContext,
  name: string,
  device: DeviceOfType<T>,
) => Promise<TelemetrySource>;

/** One driver factory per device type (config/devices.ts `deviceTypes` holds the rest of each entry). */
const drivers: { [T in DeviceType]: DriverFactory<T> } = {
  "gpio-interlock": async (ctx, name, device) => {
    const line = await ctx.options.providerFor(name).gpio(name, device.line, {
      direction: "in",
      debounceMs: device.debounceMs,
    });
    const input = new GpioInterlock(name, line, device.trippedWhen);
    ctx.out.interlockInputs.set(name, input);
    return input;
  },
  lakeshore336: async (ctx, name, device) => {
    const tc = new LakeShore336(name, ctx.serial(name, device), device);
    ctx.out.temperatureControllers.set(name, tc);
    return tc;
  },
  "sumitomo-f70": async (ctx, name, device) => {
    const compressor = new SumitomoF70(name, ctx.serial(name, device));
    ctx.out.compressors.set(name, compressor);
    return compressor;
  },
  "obis-laser": async (ctx, name, device) => {
    const permit = (await ctx.heldLasers()).has(name) ? 0 : 1;
    const line = await ctx.options.providerFor(name).gpio(name, device.interlockLine.line, {
      direction: "out",
      initial: permit,
      activeLow: device.interlockLine.activeLow,
    });
    const laser = new ObisLaser(name, ctx.serial(name, device), line, {
      maxPowerMw: ctx.config.safety.laserMaxPowerMw,
    });
    ctx.out.lasers.set(name, laser);
    return laser;
  },
  ads1115: async (ctx, name, device) => {
    const monitor = new Ads1115PowerMonitor(
      name,
      await ctx.adc(name, device.i2c.bus, device.i2c.address),
      device.channels,
    );
    ctx.out.powerMonitors.set(name, monitor);
    return monitor;
  },
  "fabry-perot": async (ctx, name, device) => {
    const cavity = new FabryPerot(
      name,
      await ctx.dac(name, device.dac.bus, device.dac.address),
      await ctx.adc(name, device.adc.bus, device.adc.address),
      {
        dacChannel: device.dac.channel,
        adcInput: device.adc.input,
        adcFullScaleV: device.adc.fullScaleV,
        ...device,
      },
    );
    ctx.out.fabryPerots.set(name, cavity);
    return cavity;
  },
  "scpi-wavemeter": async (ctx, name, device) =>
    new ScpiWavemeter(
      name,
      device.serial ? ctx.serialPort(name, device.type, device.serial) : ctx.tcpLink(name, device.tcp!, "\n"),
      device.referenceNm,
    ),
  "snspd-bias": async (ctx, name, device) => {
    const tc = ctx.out.temperatureControllers.get(device.temperature.device);
    const thermometer = ctx.config.devices[device.temperature.device];
    const letter =
      thermometer?.type === "lakeshore336" ? thermometer.inputs[device.temperature.input] : undefined;
    if (!tc || !letter)
      throw new Error(`thermometer ${device.temperature.device}.${device.temperature.input} unavailable`);
    const line = await ctx.options.providerFor(name).gpio(name, device.enableLine.line, {
      direction: "out",
      initial: 1,
      activeLow: device.enableLine.activeLow,
    });
    const detector = new SnspdBias(
      name,
      line,
      await ctx.dac(name, device.dac.bus, device.dac.address),
      await ctx.adc(name, device.monitor.bus, device.monitor.address),
      {
        dacChannel: device.dac.channel,
        biasUaPerV: device.biasUaPerV,
        monitorInput: device.monitor.input,
        monitorFullScaleV: device.monitor.fullScaleV,
        latchThresholdMv: device.latchThresholdMv,
        maxBiasUa: ctx.config.safety.detectorMaxBiasUa,
        readTemperatureK: () => tc.readTemperatureK(letter as SensorInput),
      },
    );
    ctx.out.detectors.set(name, detector);
    return detector;
  },
  ...taggerDrivers,
  ...stageDrivers,
};

/** The device building needs the devices and the safety limits the drivers enforce. */
export type DeviceSlice = Pick<BenchConfig, "devices" | "safety">;

export function emptyBenchDevices(): BenchDevices {
  return {
    sampled: [],
    temperatureControllers: new Map(),
    lasers: new Map(),
    compressors: new Map(),
    powerMonitors: new Map(),
    actuators: new Map(),
    detectors: new Map(),
    interlockInputs: new Map(),
    timeTagSources: new Map(),
    fabryPerots: new Map(),
  };
}

/** Builds every device into `out` (whose maps others may already hold), in build order. */
export async function buildDevices(
  config: DeviceSlice,
  options: BuildOptions,
  out: BenchDevices = emptyBenchDevices(),
): Promise<BenchDevices> {
  const chips = new Map<string, Ads1115 | Mcp4728>();
  let held: Promise<Set<string>> | undefined;
  const shared = async <T extends Ads1115 | Mcp4728>(
    name: string,
    busNumber: number,
    address: number,
    make: (chipName: string, bus: I2cBus) => T,
  ): Promise<T> => {
    const provider = options.providerFor(name);
    const key = `${provider.kind}:${busNumber}:${address}`;
    if (!chips.has(key))
      chips.set(key, make(`i2c-${busNumber}@0x${address.toString(16)}`, await provider.i2c(name, busNumber)));
    return chips.get(key) as T;
  };
  const ctx: BuildContext = {
    config,
    options,
    out,
    serial: (name, device) => ctx.serialPort(name, device.type, device.serial),
    serialPort: (name, type, serial) => {
      const provider = options.providerFor(name);
      const settings = { ...serial, terminator: deviceTypes[type].serialTerminator ?? "\r\n" };
      return new ReopeningSerialLink(name, serial.path, () => provider.serial(name, settings));
    },
    tcpLink: (name, { host, port, timeoutMs }, terminator) =>
      new ReopeningSerialLink(name, `tcp://${host}:${port}`, async () => {
        const { openTcpLink } = await import("../hal/backends/tcp-link.js");
        return openTcpLink(
          name,
          { host, port, timeoutMs, terminator },
          options.logger.child({ device: name }),
        );
      }),
    adc: (name, b, a) => shared(name, b, a, (chip, i2c) => new Ads1115(chip, i2c, a)),
    dac: (name, b, a) => shared(name, b, a, (chip, i2c) => new Mcp4728(chip, i2c, a)),
    heldLasers: () => (held ??= options.lasersToHold(out.interlockInputs)),
  };
  const build = <T extends DeviceType>(name: string, device: DeviceOfType<T>) =>
    (drivers[device.type] as DriverFactory<T>)(ctx, name, device);

  const sampled = new Map<string, SampledDevice>();
  const entries = Object.entries(config.devices).sort(
    ([, a], [, b]) => deviceTypes[a.type].buildOrder - deviceTypes[b.type].buildOrder,
  );
  for (const [name, device] of entries) {
    try {
      sampled.set(name, { name, type: device.type, source: await build(name, device) });
    } catch (err) {
      options.logger.error({ device: name, err: (err as Error).message }, `could not set up ${name}`);
      sampled.set(name, { name, type: device.type, source: new UnavailableDevice(name, err) });
    }
  }
  out.sampled.push(...Object.keys(config.devices).map((name) => sampled.get(name)!));
  return out;
}
