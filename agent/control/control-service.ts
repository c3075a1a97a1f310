/**
 * The control plane: answers `request/<verb>` on `response/<verb>` (and, over MQTT 5, on the
 * request's response topic with its correlation data). Each request goes through, in order:
 * size and JSON → transaction id → a repeat of a known transaction (the first answer again, not
 * run twice) → unknown verb → `control.enabled` and the allow list → the verb's rate limit →
 * the verb's schema → its handler (which checks interlocks and limits before touching anything).
 * Every request and its outcome is an audit line and an `event/audit` message.
 */
import { join } from "node:path";
import type { ControlConfig } from "../../config/control.js";
import type { BenchConfig } from "../../config/schema.js";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus, MeasurementEvent } from "../events.js";
import type { MqttService } from "../mqtt/mqtt-service.js";
import type { IncomingMessage } from "../mqtt/subscriptions.js";
import type { PreparedChange, Service } from "../service.js";
import { AlarmBook } from "./alarm-book.js";
import { AuditLog, RateLimiter } from "./audit.js";
import type { ControlContext } from "./context.js";
import { ControlError, invalid, parseRequest, type Response, redact } from "./protocol.js";
import type { Verb } from "./verb.js";
import { verbs } from "./verbs.js";

/** How long a transaction's answer is kept for repeats. */
export const REPEAT_WINDOW_MS = 10 * 60_000;
/** Refusals published on event/audit per second (all of them are in audit.jsonl). */
const REFUSALS_PER_S = 20;
/** At most this many answers are kept; beyond, the oldest go first. */
const MAX_REMEMBERED = 10_000;

export interface ControlDeps {
  mqtt: MqttService;
  bus: EventBus;
  /** The control section in force now. */
  settings: () => ControlConfig;
  stateDir: string;
  /** The agent's parts the verbs reach; `alarms` and `latestMeasurements` are filled in here. */
  context: Omit<ControlContext, "alarms" | "latestMeasurements">;
  logger: Logger;
}

/** An alarm from before a restart has this long to be raised again before it is cleared. */
const ALARM_GRACE_MS = 30_000;

export class ControlService implements Service {
  readonly name = "control";
  readonly audit: AuditLog;
  private readonly context: ControlContext;
  private readonly alarms: AlarmBook;
  private readonly measurements = new Map<string, MeasurementEvent>();
  private readonly answers = new Map<string, { atMs: number; answer: Promise<Response> }>();
  private limiter: RateLimiter;
  private readonly off: Array<() => void> = [];
  private readonly counts = {
    requests: 0,
    refused: 0,
    repeats: 0,
    busy: 0,
    ignoredRetained: 0,
    auditEventsSuppressed: 0,
  };
  private readonly refusalEvents = new RateLimiter(REFUSALS_PER_S, 2 * REFUSALS_PER_S);
  /** Set at stop: from then on every request is refused, so nothing runs after the bench is made safe. */
  private stopping = false;
  private readonly inFlight = new Set<Promise<Response>>();

  constructor(private readonly deps: ControlDeps) {
    this.audit = new AuditLog(deps.stateDir, deps.logger);
    this.alarms = new AlarmBook(deps.bus, {
      file: join(deps.stateDir, "alarms.json"),
      logger: deps.logger,
      graceMs: ALARM_GRACE_MS,
    });
    this.context = {
      ...deps.context,
      alarms: this.alarms,
      latestMeasurements: () => [...this.measurements.values()],
    };
    const { perVerbPerS, burst } = deps.settings().rateLimit;
    this.limiter = new RateLimiter(perVerbPerS, burst);
  }

  async start(): Promise<void> {
    this.off.push(this.deps.bus.on("measurement", (m) => this.measurements.set(m.name, m)));
    await this.alarms.restore();
    const prefix = this.deps.mqtt.topics.request("");
    // QoS 0: the broker keeps the agent's session while it is away, and must not keep commands
    // for it to run late; a caller that got no answer repeats its transaction.
    await this.deps.mqtt.subscribe(
      this.deps.mqtt.topics.request(),
      (message) => this.onMessage(prefix, message),
      0,
    );
  }

  /**
   * The control section and the limits the verbs check (laser power, detector bias, set-points)
   * change live: the verbs read them from the running configuration at each request.
   */
  prepare(next: BenchConfig): PreparedChange {
    const { perVerbPerS, burst } = next.control.rateLimit;
    return {
      paths: [
        "control",
        "safety.laserMaxPowerMw",
        "safety.detectorMaxBiasUa",
        "safety.detectorMaxCps",
        "safety.setpointMinK",
        "safety.setpointMaxK",
      ],
      commit: () => {
        this.limiter = new RateLimiter(perVerbPerS, burst);
      },
      abort: () => {},
    };
  }

  /** Refuses new requests and waits for those under way, so none acts after the bench is made safe. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const off of this.off.splice(0)) off();
    await Promise.allSettled([...this.inFlight]);
    await this.alarms.close();
    await this.audit.flushed();
  }

  private onMessage(prefix: string, message: IncomingMessage): void {
    // A retained request is an old one the broker replays: never act on it.
    if (message.retain) {
      this.counts.ignoredRetained++;
      this.deps.logger.warn({ topic: message.topic }, "ignored a retained request (clear it on the broker)");
      return;
    }
    const verbName = message.topic.slice(prefix.length);
    void this.request(verbName, message.payload, "mqtt").then((response) => {
      const payload = JSON.stringify(response);
      this.deps.mqtt.send({ topic: this.deps.mqtt.topics.response(verbName), payload, retain: false });
      if (message.responseTopic)
        this.deps.mqtt.send({
          topic: message.responseTopic,
          payload,
          retain: false,
          ...(message.correlationData ? { correlationData: message.correlationData } : {}),
        });
    });
  }

  /** Runs one request from any transport and resolves with its answer (never rejects). */
  request(verbName: string, payload: Buffer, via: string): Promise<Response> {
    this.counts.requests++;
    const parsed = parseRequest(payload);
    if ("error" in parsed)
      return Promise.resolve(this.refuse(verbName, parsed.transaction, parsed.error, via));
    const { transaction, args } = parsed;
    if (this.stopping)
      return Promise.resolve(
        this.refuse(verbName, transaction, new ControlError("unavailable", "the agent is stopping"), via),
      );
    const known = this.answers.get(transaction);
    if (known && performance.now() - known.atMs < REPEAT_WINDOW_MS) {
      this.counts.repeats++;
      return known.answer;
    }
    const answer = this.run(verbName, transaction, args, via).catch((err: unknown) =>
      this.refuse(
        verbName,
        transaction,
        new ControlError("internal", (err as Error).message ?? String(err)),
        via,
      ),
    );
    this.remember(transaction, answer);
    this.inFlight.add(answer);
    void answer.finally(() => this.inFlight.delete(answer));
    return answer;
  }

  private async run(verbName: string, transaction: string, args: Record<string, unknown>, via: string) {
    // Own keys only: "__proto__" or "constructor" is no verb.
    const v = Object.hasOwn(verbs, verbName) ? (verbs as Record<string, Verb>)[verbName] : undefined;
    if (!v)
      return this.refuse(
        verbName,
        transaction,
        new ControlError("unknown-verb", `no verb "${verbName}"`),
        via,
      );
    const settings = this.deps.settings();
    if (!settings.enabled || (settings.allow && !settings.allow.includes(verbName)))
      return this.refuse(
        verbName,
        transaction,
        new ControlError(
          "disabled",
          settings.enabled ? `${verbName} is not in control.allow` : "commands are disabled",
        ),
        via,
      );
    if (!this.limiter.take(verbName)) {
      this.counts.busy++;
      return this.refuse(
        verbName,
        transaction,
        new ControlError("busy", `too many ${verbName} requests: try again shortly`),
        via,
      );
    }
    const checked = v.request.safeParse(args);
    if (!checked.success) return this.refuse(verbName, transaction, invalid(checked.error), via, args);
    try {
      const data = await v.handle(checked.data, this.context, `${via}:${transaction}`);
      this.record(verbName, transaction, via, args, "ok");
      return { transaction, status: "ok", data } satisfies Response;
    } catch (err) {
      const error =
        err instanceof ControlError
          ? err
          : err instanceof RangeError
            ? new ControlError("limit", err.message)
            : new ControlError("device", (err as Error).message ?? String(err));
      return this.refuse(verbName, transaction, error, via, args);
    }
  }

  private refuse(
    verbName: string,
    transaction: string | null,
    error: ControlError,
    via: string,
    args?: unknown,
  ): Response {
    this.counts.refused++;
    this.record(verbName, transaction, via, args, "error", error);
    return { transaction, status: "error", error: error.toJSON() };
  }

  private record(
    verbName: string,
    transaction: string | null,
    via: string,
    args: unknown,
    status: "ok" | "error",
    error?: ControlError,
  ): void {
    const entry = {
      ts: new Date().toISOString(),
      verb: verbName.slice(0, 128),
      transaction: transaction ?? undefined,
      via,
      status,
      ...(error ? { code: error.code, message: error.message } : {}),
      ...(args !== undefined ? { request: redact(args) } : {}),
    };
    this.audit.append(entry);
    // Every line goes to the file; refusals go out on event/audit at most REFUSALS_PER_S (a flood
    // of garbage must not bury telemetry behind it on the broker), the rest counted and logged.
    if (status === "ok" || this.refusalEvents.take("refused")) this.deps.bus.emit("audit", entry);
    else if (this.counts.auditEventsSuppressed++ % 1000 === 0)
      this.deps.logger.warn(
        { suppressed: this.counts.auditEventsSuppressed },
        "refused requests beyond the event/audit rate: in audit.jsonl only",
      );
    const log = status === "ok" ? this.deps.logger.info : this.deps.logger.warn;
    log.call(
      this.deps.logger,
      { verb: entry.verb, transaction, code: error?.code },
      error ? `request refused: ${error.message}` : "request done",
    );
  }

  private remember(transaction: string, answer: Promise<Response>): void {
    const now = performance.now();
    for (const [key, entry] of this.answers) {
      if (now - entry.atMs < REPEAT_WINDOW_MS && this.answers.size < MAX_REMEMBERED) break;
      this.answers.delete(key);
    }
    this.answers.set(transaction, { atMs: now, answer });
  }

  health(): TelemetryValues {
    return {
      controlRequests: this.counts.requests,
      controlRefused: this.counts.refused,
      controlRepeats: this.counts.repeats,
      controlBusy: this.counts.busy,
      controlIgnoredRetained: this.counts.ignoredRetained,
      auditEventsSuppressed: this.counts.auditEventsSuppressed,
      auditWriteFailures: this.audit.failures,
    };
  }
}
