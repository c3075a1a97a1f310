/**
 * The services that only watch the bus for outside systems, each off unless configured: the
 * Sparkplug B edge node (SCADA), Home Assistant discovery, the HTTP metrics (Prometheus) and the
 * live web view (which listens to the bus from construction, serves from `late`). `early` go right after the MQTT
 * service (they stop after the bench is safe, so what is published while stopping reaches SCADA); `late` go after
 * every other service (nothing is announced, served or born before the agent is up).
 */
import { join } from "node:path";
import type { BenchConfig } from "../config/schema.js";
import type { TelemetryValues } from "../hal/interfaces.js";
import type { Logger } from "../hal/logger.js";
import type { ControlService } from "./control/control-service.js";
import type { EventBus } from "./events.js";
import { brokerCredentials } from "./mqtt/credentials.js";
import type { MqttService } from "./mqtt/mqtt-service.js";
import type { Service } from "./service.js";
import { HomeAssistantService } from "./services/home-assistant.js";
import { MetricsService } from "./services/metrics.js";
import { SparkplugService } from "./sparkplug/sparkplug-service.js";
import { AGENT_VERSION } from "./version.js";
import { WebService } from "./web/web-service.js";

export interface ObserverDeps {
  bus: EventBus;
  stateDir: string;
  mqtt: MqttService;
  control: ControlService;
  /** The configuration in force (a push may have changed it). */
  current: () => BenchConfig;
  backend: () => string;
  agentHealth: () => TelemetryValues;
  log: (module: string) => Logger;
}

export function observerServices(
  config: BenchConfig,
  deps: ObserverDeps,
): { early: Service[]; late: Service[]; web: WebService | undefined } {
  const { bus } = deps;
  const m = config.mqtt;
  const sparkplug =
    config.sparkplug.enabled &&
    new SparkplugService({
      settings: config.sparkplug,
      benchId: config.benchId,
      connection: () => ({
        url: deps.mqtt.url,
        clientId: `${m.clientId ?? `photon-bench-${config.benchId}`}-sparkplug`,
        ...brokerCredentials(m),
        keepaliveS: m.keepaliveS,
        reconnect: m.reconnect,
      }),
      bus,
      dir: join(deps.stateDir, "sparkplug"),
      request: (verb, payload, via) => deps.control.request(verb, payload, via),
      safety: () => deps.current().safety,
      backend: deps.backend,
      logger: deps.log("sparkplug"),
    });
  const metrics =
    config.metrics.enabled &&
    new MetricsService({
      settings: config.metrics,
      bus,
      agentHealth: deps.agentHealth,
      brokerConnected: () => deps.mqtt.connected,
      logger: deps.log("metrics"),
    });
  const homeAssistant =
    config.homeAssistant.enabled &&
    new HomeAssistantService({
      settings: config.homeAssistant,
      benchId: config.benchId,
      version: AGENT_VERSION,
      mqtt: deps.mqtt,
      bus,
      stateDir: deps.stateDir,
      devices: () => Object.keys(deps.current().devices),
      logger: deps.log("home-assistant"),
    });
  const web =
    config.web.enabled &&
    new WebService({
      settings: config.web,
      bus,
      current: deps.current,
      backend: deps.backend,
      request: (verb, payload, via) => deps.control.request(verb, payload, via),
      logger: deps.log("web"),
    });
  return {
    web: web || undefined,
    early: sparkplug ? [sparkplug] : [],
    late: [
      ...(sparkplug ? [sparkplug.announcer] : []),
      ...(homeAssistant ? [homeAssistant] : []),
      ...(metrics ? [metrics] : []),
      ...(web ? [web] : []),
    ],
  };
}
