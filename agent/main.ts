/**
 * The composition root: from a parsed bench configuration to a running agent. It is the one
 * place that picks bus back ends (`backend: sim | hardware`, per device or for the bench) and
 * loads them — lazily, so the simulated bench never loads the native hardware libraries, and a
 * hardware bench never loads the simulator. Everything else in agent/ sees only the HAL.
 */
import type { Backend } from "../config/common.js";
import type { BenchConfig } from "../config/schema.js";
import type { BusProvider, TelemetrySource, TelemetryValues } from "../hal/interfaces.js";
import type { Logger } from "../hal/logger.js";
import { type BenchDevices, buildDevices } from "./devices.js";
import { type EmbeddedBroker, startEmbeddedBroker } from "./mqtt/broker.js";
import { MqttPublisher, type OutgoingMessage } from "./mqtt/publisher.js";
import { type StatusPayload, Topics } from "./mqtt/topics.js";
import { TagRecorder } from "./recording/recorder.js";
import { recorderSettingsFrom } from "./recording/settings.js";
import { alignmentFromConfig } from "./services/alignment.js";
import { CorrelationService, defaultWorkerUrl, liveSettingsFrom } from "./services/correlation.js";
import { InterlockService } from "./services/interlocks.js";
import { LatestReadings } from "./services/latest-readings.js";
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
}

export interface RunningAgent {
  brokerUrl: string;
  topics: Topics;
  devices: BenchDevices;
  /** Drives the bench to its safe state, publishes `offline`, closes everything. */
  stop(reason?: string): Promise<void>;
}

/** Per-step limit at shutdown, so one dead instrument cannot hold the rest of the safe state. */
const SHUTDOWN_STEP_MS = 2000;

async function withTimeout<T>(
  what: string,
  work: Promise<T>,
  logger: Logger,
  limitMs = SHUTDOWN_STEP_MS,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.error({ step: what }, `shutdown: ${what} did not finish within ${limitMs} ms`);
      resolve();
    }, limitMs);
  });
  await Promise.race([work.then(() => undefined), timeout]).catch((err: unknown) =>
    logger.error({ step: what, err: (err as Error).message }, `shutdown: ${what} failed`),
  );
  clearTimeout(timer);
}

export async function startAgent(config: BenchConfig, options: AgentOptions): Promise<RunningAgent> {
  const logger = options.logger;
  const closers: Array<() => Promise<void>> = [];
  let broker: EmbeddedBroker | undefined;
  if (config.mqtt.broker === "embedded") {
    broker = await startEmbeddedBroker(config.mqtt.embedded.host, config.mqtt.embedded.port);
    logger.info({ url: broker.url }, "embedded MQTT broker listening");
  }
  const brokerUrl = broker?.url ?? config.mqtt.broker;

  const backendOf = (device: string) => config.devices[device]?.backend ?? config.backend;
  const providers = new Map<Backend, BusProvider>();
  for (const kind of new Set(Object.keys(config.devices).map(backendOf))) {
    const given = options.providers?.[kind];
    if (given) providers.set(kind, given);
    else if (kind === "sim") {
      const { createSimulatedBench } = await import("../sim/provider.js");
      const sim = createSimulatedBench(config, logger, options.simSpeed ?? 1);
      sim.clock.start();
      providers.set(kind, sim.provider);
      logger.info({ seed: config.sim.seed, speed: options.simSpeed ?? 1 }, "simulated bench running");
    } else {
      const { createHardwareProvider } = await import("../hal/backends/hardware-provider.js");
      providers.set(kind, createHardwareProvider(config.gpio, logger));
    }
  }
  closers.push(async () => void (await Promise.allSettled([...providers.values()].map((p) => p.close()))));

  const devices = await buildDevices(config, {
    providerFor: (device) => providers.get(backendOf(device))!,
    lasersToHold: async (inputs) => {
      const tripped = new Set<string>();
      for (const [name, input] of inputs) if (await input.readTripped().catch(() => true)) tripped.add(name);
      return InterlockService.lasersToHold(config.interlocks, tripped);
    },
    logger: logger.child({ module: "devices" }),
  });

  const topics = new Topics(config.mqtt.baseTopic, config.benchId);
  const backend = [...providers.keys()].join("+");
  const status = (state: StatusPayload["state"], reason?: string): OutgoingMessage => ({
    topic: topics.status(),
    retain: true,
    payload: JSON.stringify({
      state,
      benchId: config.benchId,
      ts: new Date().toISOString(),
      ...(reason ? { reason } : {}),
      ...(state === "online" ? { version: AGENT_VERSION, pid: process.pid, backend } : {}),
    } satisfies StatusPayload),
  });
  const publisher = new MqttPublisher(
    {
      url: brokerUrl,
      clientId: config.mqtt.clientId ?? `photon-bench-${config.benchId}`,
      username: config.mqtt.username,
      password: config.mqtt.password,
      protocolVersion: config.mqtt.protocolVersion,
      keepaliveS: config.mqtt.keepaliveS,
      reconnect: config.mqtt.reconnect,
      outboxLimit: config.mqtt.outboxLimit,
      will: status("offline", "connection lost"),
      birth: () => [status("online")],
    },
    logger.child({ module: "mqtt" }),
  );

  const latest = new LatestReadings();
  const interlocks = new InterlockService(
    config.interlocks,
    { inputs: devices.interlockInputs, lasers: devices.lasers, detectors: devices.detectors },
    latest,
    (alarm) => publisher.publish(topics.alarm(alarm.name), alarm, { retain: true }),
    config.loops.interlocks.periodMs,
    logger.child({ module: "interlocks" }),
  );
  const streams = new TimeTagStreams(devices.timeTagSources, logger.child({ module: "time-tags" }));
  const live = liveSettingsFrom(config);
  const correlation = live
    ? new CorrelationService(
        live.settings,
        options.correlationWorker ?? defaultWorkerUrl(),
        (m) =>
          publisher.publish(topics.measurement(m.name), {
            ts: new Date().toISOString(),
            name: m.name,
            source: live.source,
            ...m.payload,
          }),
        logger.child({ module: "correlation" }),
      )
    : undefined;
  if (correlation && live)
    streams.subscribe((source, chunk) => {
      if (source === live.source) correlation.push(chunk);
    });
  const recording = recorderSettingsFrom(config);
  let recorder: TagRecorder | undefined;
  if (recording) {
    const candidate = new TagRecorder(recording, logger.child({ module: "recording" }));
    try {
      await candidate.start();
      recorder = candidate;
      streams.subscribe((source, chunk) => {
        if (source === recording.source) candidate.push(chunk);
      });
      logger.info({ dir: recording.dir, source: recording.source }, "recording raw time tags");
    } catch (err) {
      logger.error(
        { dir: recording.dir, err: (err as Error).message },
        "cannot record time tags: recording is off",
      );
    }
  }
  const startedAt = Date.now();
  const agentHealth: TelemetrySource = {
    name: "agent",
    readTelemetry: async (): Promise<TelemetryValues> => {
      const mqtt = publisher.getStats();
      return {
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        mqttConnects: mqtt.connects,
        mqttQueued: mqtt.queued,
        mqttDropped: mqtt.dropped,
        tagsReceived: Object.values(streams.tagCounts()).reduce((a, b) => a + b, 0),
        faultedDevices: sampler.faultedDevices().join(", "),
        ...(correlation ? correlationHealth(correlation) : {}),
        ...(recorder ? recorderHealth(recorder) : {}),
      };
    },
  };
  const sampler = new TelemetrySampler(
    [
      ...devices.sampled,
      { name: "interlocks", type: "interlocks", source: interlocks },
      { name: "agent", type: "agent", source: agentHealth },
    ],
    (payload) => publisher.publish(topics.telemetry(payload.device), payload),
    config.loops.telemetry,
    latest,
    logger.child({ module: "telemetry" }),
  );

  const alignment = alignmentFromConfig(
    config,
    {
      actuators: devices.actuators,
      powerMonitors: devices.powerMonitors,
      subscribeTags: (listener) => streams.subscribe(listener),
      trippedRules: () => interlocks.trippedRules(),
      faultedDevices: () => sampler.faultedDevices(),
      publishState: (state) =>
        publisher.publish(topics.alignment(), { ts: new Date().toISOString(), ...state }),
      publishAlarm: (alarm) => publisher.publish(topics.alarm(alarm.name), alarm, { retain: true }),
    },
    logger.child({ module: "alignment" }),
  );

  // Safety first: interlocks run before anything is published or streamed.
  await interlocks.start();
  await publisher.start(3000);
  sampler.start();
  correlation?.start();
  await streams.start();
  alignment?.start();
  logger.info(
    { benchId: config.benchId, devices: devices.sampled.length, broker: brokerUrl },
    "agent running",
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason = "shutdown") =>
    (stopping ??= (async () => {
      logger.info({ reason }, "stopping: driving the bench to its safe state");
      if (alignment) await withTimeout("alignment", alignment.stop(), logger);
      await withTimeout("telemetry", sampler.stop(), logger);
      await withTimeout("time-tag streams", streams.stop(), logger);
      if (correlation) await withTimeout("correlation", correlation.stop(), logger);
      interlocks.stop();
      await Promise.all([
        ...[...devices.lasers].map(([name, laser]) => withTimeout(`${name} safe`, laser.makeSafe(), logger)),
        ...[...devices.detectors].map(([name, d]) => withTimeout(`${name} safe`, d.makeSafe(), logger)),
      ]);
      for (const actuator of devices.actuators.values()) actuator.hold();
      // After the bench is safe: closing a file hashes it, which takes a while for a big one.
      if (recorder) await withTimeout("recording", recorder.stop(), logger, 10_000);
      await publisher.stop(status("offline", reason));
      for (const close of closers) await withTimeout("close buses", close(), logger);
      if (broker) await withTimeout("embedded broker", broker.close(), logger);
      logger.info({ reason }, "stopped: lasers off, detector bias off, stages holding, offline published");
    })());

  return { brokerUrl, topics, devices, stop };
}

function correlationHealth(correlation: CorrelationService): TelemetryValues {
  const s = correlation.getStats();
  return {
    correlationRunning: s.running,
    correlationTags: s.tagsCorrelated,
    correlationBacklogTags: s.backlogTags,
    correlationMaxBacklogTags: s.maxBacklogTags,
    correlationDroppedTags: s.droppedTags,
    correlationPeriods: s.periods,
  };
}

function recorderHealth(recorder: TagRecorder): TelemetryValues {
  const s = recorder.getStats();
  return {
    recordingFile: s.currentFile ?? "",
    recordingFilesClosed: s.filesClosed,
    recordedTags: s.recordedTags,
    recordingDroppedTags: s.droppedTags,
    recordingSkippedTags: s.skippedTags,
    recordingDeletedFiles: s.deletedFiles,
  };
}
