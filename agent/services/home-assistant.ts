/**
 * Home Assistant MQTT discovery (`homeAssistant.enabled`, off by default): retained
 * `<prefix>/<component>/<benchId>/<object>/config` messages for the numbers people watch
 * (./ha-entities.ts), published when the agent first sees each (a device's first reading, a
 * histogram's first g2(0), the aligner's first state) and again whenever Home Assistant says it
 * came online (`<prefix>/status`). When a device leaves the configuration — by a push, or between
 * two runs (the topics published are kept in `<stateDir>/home-assistant.json`) — its entities
 * are removed (an empty retained message on each).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { HomeAssistantConfig } from "../../config/home-assistant.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import type { MqttService } from "../mqtt/mqtt-service.js";
import type { Service } from "../service.js";
import { BackgroundFile } from "../state-files.js";
import {
  alignmentEntities,
  type DiscoveryContext,
  type Entity,
  g2Entity,
  telemetryEntities,
} from "./ha-entities.js";

export interface HomeAssistantDeps {
  settings: HomeAssistantConfig;
  benchId: string;
  version: string;
  mqtt: MqttService;
  bus: EventBus;
  stateDir: string;
  /** The configured devices now (a device not among them has its entities removed). */
  devices: () => string[];
  logger: Logger;
}

/** Entities of these owners are the agent's own, not a configured device's. */
const AGENT_OWNERS = new Set(["agent", "interlocks", "alignment"]);

export class HomeAssistantService implements Service {
  readonly name = "home-assistant";
  private readonly off: Array<() => void> = [];
  /** Discovery topic → its owner (a device, `alignment`, `measurement/<h>`) and its payload. */
  private readonly entities = new Map<string, { owner: string; payload: string }>();
  private readonly file: BackgroundFile;
  private readonly context: DiscoveryContext;

  constructor(private readonly deps: HomeAssistantDeps) {
    this.file = new BackgroundFile(
      join(deps.stateDir, "home-assistant.json"),
      "Home Assistant topics",
      deps.logger,
    );
    this.context = {
      prefix: deps.settings.discoveryPrefix,
      benchId: deps.benchId,
      topics: deps.mqtt.topics,
      version: deps.version,
    };
  }

  async start(): Promise<void> {
    const { bus, mqtt } = this.deps;
    await this.removeLeftovers();
    this.off.push(
      bus.on("telemetry", (t) => {
        if (t.state === "ok")
          this.publish(t.device, telemetryEntities(this.context, t.device, t.type, t.values));
      }),
      bus.on("measurement", (m) => {
        if (typeof (m.g2 as { g2Zero?: unknown } | undefined)?.g2Zero === "number")
          this.publish(`measurement/${m.name}`, [g2Entity(this.context, m.name)]);
      }),
      bus.on("alignment", () => this.publish("alignment", alignmentEntities(this.context))),
      bus.on("config", () => this.removeDevicesGone()),
    );
    await mqtt.subscribe(`${this.context.prefix}/status`, (message) => {
      if (message.payload.toString() === "online") this.republish();
    });
  }

  async stop(): Promise<void> {
    for (const off of this.off.splice(0)) off();
    await this.file.flushed();
  }

  private publish(owner: string, entities: Entity[]): void {
    let added = false;
    for (const e of entities) {
      const payload = JSON.stringify(e.config);
      if (this.entities.get(e.topic)?.payload === payload) continue;
      this.entities.set(e.topic, { owner, payload });
      this.deps.mqtt.send({ topic: e.topic, payload, retain: true });
      added = true;
    }
    if (added) this.save();
  }

  private republish(): void {
    for (const [topic, { payload }] of this.entities)
      if (payload !== "") this.deps.mqtt.send({ topic, payload, retain: true });
  }

  private remove(topics: string[], why: string): void {
    if (topics.length === 0) return;
    for (const topic of topics) {
      this.entities.delete(topic);
      this.deps.mqtt.send({ topic, payload: "", retain: true });
    }
    this.deps.logger.info({ entities: topics.length, why }, "Home Assistant entities removed");
    this.save();
  }

  /** Entities of devices no longer configured: a push removed them. */
  private removeDevicesGone(): void {
    const configured = new Set(this.deps.devices());
    const gone = [...this.entities].filter(([, e]) => this.isDeviceGone(e.owner, configured)).map(([t]) => t);
    this.remove(gone, "the device left the configuration");
  }

  /** Entities an earlier run published for devices this configuration does not have. */
  private async removeLeftovers(): Promise<void> {
    let saved: Record<string, string> = {};
    try {
      saved =
        (JSON.parse(await readFile(this.file.file, "utf8")) as { topics?: Record<string, string> }).topics ??
        {};
    } catch {
      saved = {};
    }
    const configured = new Set(this.deps.devices());
    for (const [topic, owner] of Object.entries(saved)) this.entities.set(topic, { owner, payload: "" });
    const gone = Object.entries(saved).filter(([, owner]) => this.isDeviceGone(owner, configured));
    this.remove(
      gone.map(([t]) => t),
      "the device is not in this configuration",
    );
  }

  private isDeviceGone(owner: string, configured: Set<string>): boolean {
    return !owner.startsWith("measurement/") && !AGENT_OWNERS.has(owner) && !configured.has(owner);
  }

  private save(): void {
    const topics = Object.fromEntries([...this.entities].map(([t, e]) => [t, e.owner]));
    this.file.save(`${JSON.stringify({ topics }, null, 2)}\n`);
  }
}
