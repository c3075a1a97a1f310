/**
 * The composition root: from a parsed bench configuration to a running agent. It builds the list
 * of services, each with its config slice and its dependencies in one object, starts them in
 * order and stops them in reverse — nothing else. The bus back ends (`backend: sim | hardware`)
 * are loaded lazily by ./providers.ts.
 *
 * The order is the safety order: the devices and the interlocks come up before anything is
 * sampled, streamed or moved; at stop, motion, streams and sampling end first, then the
 * interlocks, then the bench is made safe, then the recording closes and `offline` goes out.
 */

import { join } from "node:path";
import type { Backend } from "../config/common.js";
import { isTagger } from "../config/devices.js";
import type { BenchConfig } from "../config/schema.js";
import type { BusProvider, TelemetryValues } from "../hal/interfaces.js";
import type { Logger } from "../hal/logger.js";
import { ConfigStore, loadStartingConfig } from "./control/config-store.js";
import { ControlService } from "./control/control-service.js";
import { limitsOf, type SafetyLimits } from "./control/limits.js";
import type { BenchDevices } from "./devices.js";
import { EventBus, type StatusPayload } from "./events.js";
import { EmbeddedBrokerService, embeddedLogin } from "./mqtt/broker.js";
import { MqttService } from "./mqtt/mqtt-service.js";
import type { Topics } from "./mqtt/topics.js";
import { observerServices } from "./observers.js";
import { operationsParts } from "./operations/setup.js";
import { openProvider, type SimFaults } from "./providers.js";
import { type Service, startInOrder, stopInReverse } from "./service.js";
import { AlignmentService } from "./services/alignment.js";
import { BenchDevicesService } from "./services/bench-devices.js";
import { ClockWatch } from "./services/clock-watch.js";
import { CorrelationService, liveSettingsFrom } from "./services/correlation.js";
import { InterlockService } from "./services/interlocks.js";
import { LastGoodPosition } from "./services/last-position.js";
import { LatchStore } from "./services/latch-store.js";
import { LatestReadings } from "./services/latest-readings.js";
import { OverBrightGuard } from "./services/over-bright.js";
import { RecordingService } from "./services/recording.js";
import { SpectralService } from "./services/spectral.js";
import { TelemetrySampler } from "./services/telemetry.js";
import { TimeTagStreams } from "./services/time-tags.js";
import { AGENT_VERSION } from "./version.js";

export { AGENT_VERSION };

export interface AgentOptions {
  logger: Logger;
  /** Simulated seconds per wall-clock second on the simulated bench. */
  simSpeed?: number;
  /** Bus providers built by the caller (tests hold the simulated bench this way); others are loaded here. */
  providers?: Partial<Record<Backend, BusProvider>>;
  /** The correlation worker script (default: the built one beside this module). */
  correlationWorker?: URL;
  /** Accepted configuration versions and the audit log live here (`--state-dir`). */
  stateDir: string;
  /** The local file's document, which pushed versions are overlays on (default: `config` itself). */
  baseDocument?: Record<string, unknown>;
  /** The local safety limits a push may not loosen (default: `config`'s own). */
  limits?: SafetyLimits;
  /** Aborts the start-up (SIGTERM meanwhile): what has started is stopped, the bench made safe, StartAborted thrown. */
  signal?: AbortSignal;
  /** Called after each interlock tick (the systemd watchdog). */
  onInterlockTick?: () => void;
  /** The interlock guard's thread (default on; bench/interlock.ts compares without it). */
  interlockGuard?: boolean;
  /** Start even if another agent's retained status says it runs this bench. */
  takeover?: boolean;
  /** Another agent took the bench over with --takeover: the caller stops this one. */
  onTakenOver?: (other: StatusPayload) => void;
  /** The simulated bench a caller built (`providers.sim`), for game days' fault injection. */
  simBench?: SimFaults;
}

export interface RunningAgent {
  brokerUrl: string;
  /** The web view's address while it is served (`web.enabled`), else undefined. */
  webUrl: string | undefined;
  /** Resolves when the agent has reached the broker, or after `timeoutMs` (offline): true if connected. */
  connected(timeoutMs: number): Promise<boolean>;
  /** The configuration it started with (a push may have changed it since: `control`). */
  config: BenchConfig;
  control: ControlService;
  topics: Topics;
  devices: BenchDevices;
  bus: EventBus;
  /** Drives the bench to its safe state, publishes `offline`, closes everything. */
  stop(reason?: string): Promise<void>;
}

export async function startAgent(baseConfig: BenchConfig, options: AgentOptions): Promise<RunningAgent> {
  const { logger, stateDir } = options;
  const log = (module: string) => logger.child({ module });
  const bus = new EventBus(log("events"));
  const { slices: _derived, ...plainBase } = baseConfig;
  const limits = options.limits ?? limitsOf(baseConfig);
  const starting = await loadStartingConfig(stateDir, options.baseDocument ?? plainBase, baseConfig, limits);
  const config = starting.config;
  if (starting.version > 0)
    logger.info({ version: starting.version }, "applying the last accepted configuration");
  const { slices } = config;
  let simBench = options.simBench;

  const broker =
    config.mqtt.broker === "embedded"
      ? new EmbeddedBrokerService(
          config.mqtt.embedded.host,
          config.mqtt.embedded.port,
          embeddedLogin(config.mqtt.embedded),
        )
      : undefined;
  const brokerUrl = () => broker?.url ?? config.mqtt.broker;
  const latches = new LatchStore(join(stateDir, "interlocks.json"), log("interlocks"));
  const bench = new BenchDevicesService({
    slice: { devices: config.devices, safety: config.safety, backend: config.backend },
    interlockRules: config.interlocks,
    latchedRules: async () => {
      const before = await latches.load();
      return new Set(before === "all" ? config.interlocks.map((r) => r.name) : before.keys());
    },
    openProvider: (kind) =>
      openProvider(kind, config, options, (b) => {
        simBench = b;
      }),
    logger: log("devices"),
  });
  const { devices } = bench;
  const mqtt = new MqttService({
    settings: config.mqtt,
    benchId: config.benchId,
    brokerUrl,
    bus,
    backend: () => bench.backend,
    stateDir,
    startedAt: new Date().toISOString(),
    ...(options.onTakenOver ? { onTakenOver: options.onTakenOver } : {}),
    logger: log("mqtt"),
    ...(options.takeover ? { takeover: true } : {}),
  });
  const recording =
    slices.recording &&
    new RecordingService({
      slice: slices.recording,
      bus,
      logger: log("recording"),
      runId: () => ops.runId(),
    });
  const latest = new LatestReadings();
  const interlocks = new InterlockService({
    rules: config.interlocks,
    periodMs: config.loops.interlocks.periodMs,
    devices: { inputs: devices.interlockInputs, lasers: devices.lasers, detectors: devices.detectors },
    latest,
    bus,
    logger: log("interlocks"),
    ...(options.onInterlockTick ? { onTick: options.onInterlockTick } : {}),
    ...(options.interlockGuard === false ? { guard: false } : {}),
    latches,
  });
  const startedAt = Date.now();
  const sampler: TelemetrySampler = new TelemetrySampler({
    sources: () => [
      ...devices.sampled,
      { name: "interlocks", type: "interlocks", source: interlocks },
      { name: "agent", type: "agent", source: { name: "agent", readTelemetry: async () => agentHealth() } },
    ],
    settings: config.loops.telemetry,
    latest,
    bus,
    logger: log("telemetry"),
  });
  const correlation =
    slices.correlation &&
    new CorrelationService({
      settings: liveSettingsFrom(slices.correlation),
      source: slices.correlation.tagger.name,
      bus,
      logger: log("correlation"),
      ...(options.correlationWorker ? { workerUrl: options.correlationWorker } : {}),
    });
  const overBright = new OverBrightGuard({
    channels: new Map(
      Object.entries(config.devices).flatMap(([name, d]) =>
        isTagger(d) ? [[name, d.channels.detectors] as const] : [],
      ),
    ),
    detectors: devices.detectors,
    maxCps: () => store.current.safety.detectorMaxCps,
    bus,
    logger: log("over-bright"),
  });
  const streams = new TimeTagStreams({ sources: devices.timeTagSources, bus, logger: log("time-tags") });
  const alignment =
    slices.alignment &&
    new AlignmentService({
      slice: slices.alignment,
      actuators: devices.actuators,
      powerMonitors: devices.powerMonitors,
      bus,
      heldRules: () => interlocks.heldRules(),
      faultedDevices: () => sampler.faultedDevices(),
      lastGood: new LastGoodPosition(join(stateDir, "alignment.json"), log("alignment")),
      logger: log("alignment"),
    });
  const cavity = config.spectral.fabryPerot;
  const spectral =
    cavity !== undefined &&
    new SpectralService({
      cavities: devices.fabryPerots,
      settings: { ...config.spectral, fabryPerot: cavity },
      bus,
      logger: log("spectral"),
    });

  const store = new ConfigStore({
    stateDir,
    starting,
    limits,
    services: () => services,
    bus,
    logger: log("config"),
  });
  const ops = operationsParts(config, {
    bus,
    stateDir,
    current: () => store.current,
    softwareVersion: AGENT_VERSION,
    configHash: () => store.get().hash,
    control: () => control,
    mqtt,
    simInject: () => simBench && ((fault) => simBench?.inject(fault)),
    log,
  });
  const control = new ControlService({
    mqtt,
    bus,
    settings: () => store.current.control,
    stateDir,
    context: {
      benchId: config.benchId,
      version: AGENT_VERSION,
      startedAtMs: startedAt,
      devices,
      deviceConfigs: () => config.devices,
      safety: () => store.current.safety,
      interlocks,
      alignment: alignment || undefined,
      recording: recording || undefined,
      config: store,
      operations: ops.control,
    },
    logger: log("control"),
  });

  const observers = observerServices(config, {
    bus,
    stateDir,
    mqtt,
    control,
    current: () => store.current,
    backend: () => bench.backend,
    agentHealth: () => agentHealth(),
    log,
  });
  const services: Service[] = [
    ...(broker ? [broker] : []),
    mqtt,
    ...observers.early,
    store,
    new ClockWatch({ bus, logger: log("clock") }),
    ...ops.early,
    ...(recording ? [recording] : []),
    bench,
    interlocks,
    sampler,
    ...(correlation ? [correlation] : []),
    overBright,
    streams,
    ...(alignment ? [alignment] : []),
    ...(spectral ? [spectral] : []),
    control,
    ...ops.late,
    mqtt.announcer,
    ...observers.late,
  ];
  const agentHealth = (): TelemetryValues =>
    Object.assign(
      { uptimeS: Math.round((Date.now() - startedAt) / 1000) },
      ...services.map((s) => s.health?.() ?? {}),
      bus.health(),
    );

  options.signal?.addEventListener("abort", () => mqtt.setStopReason(String(options.signal?.reason)));
  await startInOrder(services, logger, options.signal);
  logger.info(
    { benchId: config.benchId, devices: devices.sampled.length, broker: brokerUrl(), version: AGENT_VERSION },
    "agent running",
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason = "shutdown") =>
    (stopping ??= (async () => {
      logger.info({ reason }, "stopping: driving the bench to its safe state");
      mqtt.setStopReason(reason);
      await stopInReverse(services, logger);
      logger.info({ reason }, "stopped: lasers off, detector bias off, stages holding, offline published");
    })());

  return {
    brokerUrl: brokerUrl(),
    webUrl: observers.web?.url,
    connected: (ms) => mqtt.connectedWithin(ms),
    config,
    control,
    topics: mqtt.topics,
    devices,
    bus,
    stop,
  };
}
