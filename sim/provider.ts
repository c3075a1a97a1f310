/**
 * The simulated bench behind the HAL's BusProvider: every device in the bench file finds its
 * instrument twin on the bus, path, address or line the file gives it, so the real drivers run
 * unchanged. `clock` moves simulated time with the wall clock (×`speed`); tests leave it stopped
 * and call `bench.advanceTo` themselves.
 */
import { type DeviceConfig, type DeviceOfType, deviceTypes } from "../config/devices.js";
import { BusError, DeviceGone } from "../hal/errors.js";
import type { BinaryValue, BusProvider, SerialLink } from "../hal/interfaces.js";
import type { Logger } from "../hal/logger.js";
import { QueuedSerialLink } from "../hal/serial-link.js";
import { LineTable } from "../hal/shared-lines.js";
import { SimBench, type SimBenchConfig } from "./bench.js";
import type { Rng } from "./random.js";
import { type LineInstrument, SimSerialTransport } from "./serial-twin.js";
import { simInputLine, simOutputLine } from "./twins/gpio.js";
import { type I2cTarget, openSimI2cBus } from "./twins/i2c.js";
import { LakeShore336Twin } from "./twins/lakeshore336.js";
import { ObisLaserTwin } from "./twins/obis-laser.js";
import { ScpiWavemeterTwin } from "./twins/scpi-wavemeter.js";
import { SumitomoF70Twin } from "./twins/sumitomo-f70.js";
import { TaggerTwin } from "./twins/tagger.js";
import { ThorlabsKpz101Twin } from "./twins/thorlabs-kpz101.js";
import { ThorlabsMdtTwin } from "./twins/thorlabs-mdt.js";
import { buildI2cChips } from "./wiring.js";

export interface SimClock {
  start(): void;
  stop(): void;
  readonly running: boolean;
}

export interface SimulatedBench {
  bench: SimBench;
  provider: BusProvider;
  clock: SimClock;
  /** The levels of the bench's GPIO lines, shared with the interlock guard's thread. */
  lines: LineTable;
  /** A fresh twin for a serial device, e.g. to serve it on a pty. */
  serialTwin(device: string, path?: string): { instrument: LineInstrument; replyTerminator: string };
}

type SerialDeviceType =
  | "lakeshore336"
  | "obis-laser"
  | "sumitomo-f70"
  | "serial-tagger"
  | "thorlabs-mdt"
  | "thorlabs-kpz101"
  | "scpi-wavemeter";
type SerialTwinFactory = (bench: SimBench, rng: Rng, settings: DeviceConfig, path: string) => LineInstrument;

/** The sim twin of each serial device type (its reply terminator is the type's, in config/devices.ts). */
const serialTwins: {
  [T in SerialDeviceType]: (
    bench: SimBench,
    rng: Rng,
    settings: DeviceOfType<T>,
    path: string,
  ) => LineInstrument;
} = {
  lakeshore336: (bench, rng) => new LakeShore336Twin(bench, rng),
  "obis-laser": (bench, rng) => new ObisLaserTwin(bench, rng),
  "sumitomo-f70": (bench) => new SumitomoF70Twin(bench),
  // The outputs move the sim's stage (volts × µm per volt on the axis each one drives), and start
  // where the stage is.
  "thorlabs-mdt": (bench, _rng, settings) => {
    const twin = new ThorlabsMdtTwin(settings.model, 100, (channel, volts) => {
      for (const [axis, a] of Object.entries(settings.axes))
        if (a?.channel === channel) bench.stage[axis]?.command(volts * a.umPerV, bench.timeS);
    });
    for (const [axis, a] of Object.entries(settings.axes))
      if (a && bench.stage[axis])
        twin.voltages[a.channel] = Math.min(100, bench.stage[axis].commandedUm / a.umPerV);
    return twin;
  },
  "thorlabs-kpz101": (bench, _rng, settings, path) => {
    const [axis, a] = Object.entries(settings.axes).find(([, a]) => a?.serial.path === path) ?? [];
    const model = axis ? bench.stage[axis] : undefined;
    const twin = new ThorlabsKpz101Twin(
      29_250_000 + Object.keys(settings.axes).indexOf(axis ?? ""),
      (volts) => {
        if (a) model?.command(volts * a.umPerV, bench.timeS);
      },
    );
    twin.limitCode = { 75: 1, 100: 2, 150: 3 }[settings.voltageLimitV];
    if (a && model)
      twin.outputCounts = Math.min(
        32767,
        Math.round((model.commandedUm / a.umPerV / settings.voltageLimitV) * 32767),
      );
    return twin;
  },
  "scpi-wavemeter": (bench) => new ScpiWavemeterTwin(bench),
  "serial-tagger": (bench, _rng, settings) =>
    new TaggerTwin(bench, settings.channels.sync, settings.channels.syncDivider),
};

/** How often the real-time clock advances the bench, ms. */
export const SIM_TICK_MS = 20;

export function createSimulatedBench(config: SimBenchConfig, logger: Logger, speed = 1): SimulatedBench {
  const bench = new SimBench(config);
  const chips = buildI2cChips(config, bench);
  const lines = new LineTable();
  const log = logger.child({ module: "sim" });

  const serialTwin = (device: string, path = ""): { instrument: LineInstrument; replyTerminator: string } => {
    const settings = config.devices[device];
    const make =
      settings && (serialTwins[settings.type as SerialDeviceType] as SerialTwinFactory | undefined);
    if (!settings || !make)
      throw new BusError(`no simulated serial instrument for a ${settings?.type ?? "missing"} device`, {
        device,
      });
    return {
      instrument: make(bench, bench.rng.fork(`serial:${device}`), settings, path),
      replyTerminator:
        deviceTypes[settings.type].replyTerminator ?? deviceTypes[settings.type].serialTerminator ?? "\r\n",
    };
  };

  const gpioLevel = (device: string): (() => BinaryValue) => {
    const settings = config.devices[device];
    if (settings?.type !== "gpio-interlock") throw new BusError("no simulated input wired here", { device });
    const signal = config.sim.interlockSignals[device];
    if (!signal) throw new BusError(`sim.interlockSignals names no signal for "${device}"`, { device });
    const tripped: BinaryValue = settings.trippedWhen === "high" ? 1 : 0;
    const unsafe = signal === "door" ? () => bench.doorOpen : () => !bench.cryostatOk();
    return () => (unsafe() ? tripped : ((1 - tripped) as BinaryValue));
  };

  const provider: BusProvider = {
    kind: "sim",
    async gpio(device, line, options) {
      const settings = config.devices[device];
      if (options.direction === "in") return simInputLine(device, line, gpioLevel(device), bench, lines);
      const initial = options.initial ?? 0;
      if (settings?.type === "obis-laser")
        return simOutputLine(
          device,
          line,
          initial,
          (v) => {
            bench.laser.permit = v === 1;
            // An opened remote interlock switches emission off; it stays off until commanded on.
            if (v === 0) bench.laser.emission = false;
          },
          lines,
        );
      if (settings?.type === "snspd-bias")
        return simOutputLine(
          device,
          line,
          initial,
          (v) => {
            const detector = bench.detectors.get(device);
            if (detector) detector.enabled = v === 1;
          },
          lines,
        );
      throw new BusError(`no simulated output wired to GPIO ${line}`, { device });
    },
    async i2c(device, busNumber) {
      return openSimI2cBus(device, busNumber, chips.get(busNumber) ?? new Map<number, I2cTarget>(), bench);
    },
    async serial(device, options): Promise<SerialLink> {
      if (bench.unplugged.has(device))
        throw new DeviceGone(`cannot open ${options.path}: no such device`, { device });
      const { instrument, replyTerminator } = serialTwin(device, options.path);
      const transport = new SimSerialTransport(
        device,
        instrument,
        bench,
        replyTerminator,
        bench.rng.fork(`line:${device}`),
      );
      return new QueuedSerialLink(
        transport,
        { device, path: options.path, timeoutMs: options.timeoutMs, terminator: options.terminator },
        log.child({ device }),
      );
    },
    async close() {
      clock.stop();
    },
  };

  let timer: NodeJS.Timeout | undefined;
  let startedAt = 0;
  let startedAtSimS = 0;
  const clock: SimClock = {
    start() {
      if (timer) return;
      startedAt = performance.now();
      startedAtSimS = bench.timeS;
      timer = setInterval(
        () => bench.advanceTo(startedAtSimS + ((performance.now() - startedAt) / 1000) * speed),
        SIM_TICK_MS,
      );
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    get running() {
      return timer !== undefined;
    },
  };

  return { bench, provider, clock, lines, serialTwin };
}
