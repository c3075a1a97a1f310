/**
 * Builds the operations parts for the composition root: the run tracker (and the run id and
 * analysis it adds to every measurement and alarm), the clock-sync watch, the operations service,
 * the game day, and the control view the operations verbs use.
 */
import { join } from "node:path";
import type { BenchConfig } from "../../config/schema.js";
import type { SimFaultEvent } from "../../config/sim.js";
import type { Logger } from "../../hal/logger.js";
import type { OperationsControl } from "../control/context.js";
import type { ControlService } from "../control/control-service.js";
import type { EventBus } from "../events.js";
import type { MqttService } from "../mqtt/mqtt-service.js";
import type { Service } from "../service.js";
import { ClockSync } from "./clock-sync.js";
import { GameDay } from "./game-day.js";
import { OperationsService } from "./operations-service.js";
import { RunTracker } from "./runs.js";

const GAME_DAY_TIMEOUT_S = 3600;

export interface OperationsSetupDeps {
  bus: EventBus;
  stateDir: string;
  current: () => BenchConfig;
  softwareVersion: string;
  configHash: () => string;
  /** The control plane runbooks send their commands through (built after these parts). */
  control: () => Pick<ControlService, "request" | "audit">;
  /** Where resolved incidents' retained messages are cleared. */
  mqtt: Pick<MqttService, "send" | "topics">;
  /** The simulated bench's fault injector, when the bench is simulated. */
  simInject: () => ((fault: Omit<SimFaultEvent, "atS">) => void) | undefined;
  log: (module: string) => Logger;
}

export interface OperationsParts {
  /** Started before the devices (the run and clock are known before the first measurement). */
  early: Service[];
  /** Started after the control plane (runbooks send it requests). */
  late: Service[];
  control: OperationsControl | undefined;
  runId: () => string | undefined;
}

export function operationsParts(config: BenchConfig, deps: OperationsSetupDeps): OperationsParts {
  const settings = config.operations;
  if (!settings.enabled) return { early: [], late: [], control: undefined, runId: () => undefined };
  const { bus } = deps;
  const runs = new RunTracker(join(deps.stateDir, "run.json"), {
    bus,
    benchId: config.benchId,
    softwareVersion: deps.softwareVersion,
    configHash: deps.configHash,
    logger: deps.log("runs"),
  });
  const clock = new ClockSync({
    bus,
    logger: deps.log("clock-sync"),
    checkS: settings.clock.checkS,
    requireSync: settings.clock.requireSync,
  });
  const offs: Array<() => void> = [];
  const runsService: Service = {
    name: "runs",
    start: async () => {
      await runs.loaded;
      runs.announce();
      offs.push(
        bus.enrich("measurement", (m) => ({
          ...m,
          ...(runs.runId ? { runId: runs.runId } : {}),
          analysis: analysisOf(deps.current(), m.name, deps.softwareVersion, deps.configHash()),
          clock: clock.current,
        })),
        bus.enrich("alarm", (a) => (runs.runId && a.active ? { ...a, runId: runs.runId } : a)),
      );
    },
    stop: async () => {
      for (const off of offs.splice(0)) off();
      await runs.flushed();
    },
  };
  const service = new OperationsService({
    config,
    current: deps.current,
    bus,
    stateDir: deps.stateDir,
    request: (verb, payload, via) => deps.control().request(verb, payload, via),
    audit: (entry) => {
      deps.control().audit.append(entry);
      bus.emit("audit", entry);
    },
    runId: () => runs.runId,
    clearRetained: (topic) => deps.mqtt.send({ topic, payload: "", retain: true }),
    incidentTopic: (id) => deps.mqtt.topics.incident(id),
    logger: deps.log("operations"),
  });
  const gameDay = new GameDay(bus);
  const control: OperationsControl = {
    startRun: (args) => runs.start(args),
    stopRun: () => runs.stop(),
    currentRun: () => runs.current,
    openMaintenance: (minutes, reason, by) => service.windows.openMaintenance(minutes, reason, by),
    closeMaintenance: () => service.windows.closeMaintenance(),
    incidents: () => service.incidents.all(),
    acknowledgeIncident: (id, by) => service.incidents.acknowledge(id, by),
    runRunbook: (name, trigger) => service.runRunbook(name, trigger),
    runbookNames: () => service.runbookNames(),
    gameDay: (fault, device, durationS) => {
      const inject = deps.simInject();
      if (!inject) return "game day needs the simulated bench (backend: sim)";
      if (gameDay.running) return "a game day is already running";
      const f = { fault, ...(device ? { device } : {}), ...(durationS ? { durationS } : {}) } as Omit<
        SimFaultEvent,
        "atS"
      >;
      const score = gameDay.start(fault, device, () => inject(f), GAME_DAY_TIMEOUT_S);
      return { started: score.injectedAt };
    },
  };
  const gameDayService: Service = {
    name: "game-day",
    start: async () => {},
    stop: async () => gameDay.close(),
  };
  return { early: [runsService, clock], late: [service, gameDayService], control, runId: () => runs.runId };
}

/** What produced a measurement: the correlation settings behind it, the software and the config. */
function analysisOf(config: BenchConfig, name: string, softwareVersion: string, configHash: string) {
  const c = config.correlation;
  const histogram = c.histograms.find((h) => h.name === name);
  return {
    softwareVersion,
    configHash,
    integrationS: c.integrationS,
    deadTimeNs: c.deadTimeNs,
    ...(histogram ? { histogram } : {}),
  };
}
