/**
 * The bench file: one schema per section, TypeScript types inferred from them (never written twice).
 * Cross-references between sections (an interlock naming a device, a detector naming its
 * thermometer) are checked here too, so a bad file fails at start-up with every problem listed,
 * and the file is resolved into per-service slices (./slices.ts) in the same pass.
 */
import { z } from "zod";
import { alignmentSchema } from "./alignment.js";
import { backendSchema, topicSafeName } from "./common.js";
import { controlSchema } from "./control.js";
import { correlationSchema, recordingSchema } from "./correlation.js";
import {
  type AxisName,
  axisNames,
  type DeviceConfig,
  deviceSchema,
  isStage,
  stageTravelUm,
  stageTypes,
} from "./devices.js";
import { homeAssistantSchema } from "./home-assistant.js";
import { metricsSchema } from "./metrics.js";
import { checkOperationMetrics, operationsSchema } from "./operations.js";
import { simSchema } from "./sim.js";
import { resolveSlices } from "./slices.js";
import { SPARKPLUG_AGENT_DEVICES, sparkplugSchema } from "./sparkplug.js";
import { spectralSchema } from "./spectral.js";
import { LOOPBACK_HOSTS, webSchema } from "./web.js";

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace"] as const;

export const mqttSchema = z
  .strictObject({
    /** `embedded` starts an in-process broker; otherwise an mqtt:// or mqtts:// URL. */
    broker: z.union([z.literal("embedded"), z.url({ protocol: /^mqtts?$/ })]).default("embedded"),
    embedded: z
      .strictObject({
        /** 127.0.0.1 by default; any other address needs `username` and `passwordFile`. */
        host: z.string().default("127.0.0.1"),
        port: z.int().min(1).max(65535).default(1883),
        /** Clients must log in with these (the agent itself does). */
        username: z.string().min(1).optional(),
        passwordFile: z.string().min(1).optional(),
      })
      .prefault({})
      .refine(
        (e) => LOOPBACK_HOSTS.has(e.host) || (e.username !== undefined && e.passwordFile !== undefined),
        {
          message: "the embedded broker listens beyond this machine only with username and passwordFile",
          path: ["host"],
        },
      ),
    baseTopic: z
      .string()
      .regex(/^[^#+]+$/, "must not contain MQTT wildcards")
      .default("photon-bench"),
    clientId: z.string().min(1).max(64).optional(),
    username: z.string().optional(),
    /** Prefer `passwordFile` (or PHOTON_BENCH_MQTT__PASSWORD): a password in the bench file is readable by whoever reads the file. */
    password: z.string().optional(),
    /** A file holding the password (first line); never logged or published. */
    passwordFile: z.string().min(1).optional(),
    /** For mqtts:// brokers: the CA to verify the broker with, and a client certificate for mutual TLS. */
    tls: z
      .strictObject({
        caFile: z.string().min(1).optional(),
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        /** Verify the broker's certificate (on unless a lab really must turn it off). */
        rejectUnauthorized: z.boolean().default(true),
      })
      .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
        message: "certFile and keyFile go together",
      })
      .optional(),
    /** `auto` tries MQTT 5 and falls back to 3.1.1 when the broker refuses the protocol version. */
    protocolVersion: z.union([z.literal("auto"), z.literal(4), z.literal(5)]).default("auto"),
    keepaliveS: z.int().min(2).max(3600).default(15),
    reconnect: z
      .strictObject({
        initialDelayMs: z.int().min(10).default(500),
        maxDelayMs: z.int().min(100).default(30_000),
      })
      .prefault({}),
    /** MQTT 5: how long the broker keeps the agent's session (its subscriptions) after a disconnect. */
    sessionExpiryS: z.int().min(0).max(4_294_967_295).default(86_400),
    /**
     * Event messages (telemetry, measurements, alarms, alignment, audit, config) are journaled
     * in the state directory until the broker acknowledges them. Beyond maxBytes the oldest
     * telemetry is summarised, then dropped; other kinds only after all telemetry.
     */
    outbox: z
      .strictObject({
        maxBytes: z
          .int()
          .min(64 * 1024)
          .max(2 ** 31)
          .default(16 * 1024 * 1024),
        /** Journal writes are batched: one write and fsync per flushMs, or at flushBytes. */
        flushMs: z.int().min(1).max(10_000).default(200),
        flushBytes: z
          .int()
          .min(4096)
          .max(64 * 1024 * 1024)
          .default(1024 * 1024),
      })
      .prefault({}),
  })
  .prefault({})
  .refine((m) => m.tls === undefined || m.broker.startsWith("mqtts:"), {
    message: "tls settings need an mqtts:// broker",
    path: ["tls"],
  })
  .refine((m) => m.password === undefined || m.passwordFile === undefined, {
    message: "give password or passwordFile, not both",
    path: ["passwordFile"],
  });

export const loopsSchema = z
  .strictObject({
    telemetry: z
      .strictObject({
        periodMs: z.int().min(50).max(3_600_000).default(1000),
        /** First retry of a faulted device after this long, doubling up to `retryMaxMs`. */
        retryInitialMs: z.int().min(50).default(1000),
        retryMaxMs: z.int().min(100).default(30_000),
      })
      .prefault({}),
    interlocks: z
      .strictObject({
        /** The interlock tick; a trip acts within one tick. */
        periodMs: z.int().min(5).max(1000).default(50),
      })
      .prefault({}),
  })
  .prefault({});

const limitsUm = z
  .strictObject({ minUm: z.number(), maxUm: z.number() })
  .refine((l) => l.minUm < l.maxUm, { message: "minUm must be below maxUm" });

export const safetySchema = z
  .strictObject({
    laserMaxPowerMw: z.number().positive().default(10),
    detectorMaxBiasUa: z.number().positive().default(11),
    /**
     * A detector counting faster than this (over 100 ms of tag time) is flooded with light: its
     * bias goes off. Si SPADs saturate at 10–30 Mcps; a source's own counts are far below.
     */
    detectorMaxCps: z.number().positive().default(10_000_000),
    /** Set-points a temperature controller may be given, K. */
    setpointMinK: z.number().min(0).default(1.5),
    setpointMaxK: z.number().positive().default(300),
    /** Soft limits per actuator device and axis, µm; moves outside are refused. */
    actuatorLimitsUm: z.record(z.string(), z.partialRecord(z.enum(axisNames), limitsUm)).default({}),
  })
  .prefault({});

export const interlockRuleSchema = z.strictObject({
  name: topicSafeName,
  /** gpio-interlock devices; any one tripped trips the rule. */
  inputs: z.array(z.string()).default([]),
  /** Temperatures read by a temperature controller; above `maxK`, or unknown for `staleAfterS`, trips. */
  temperatures: z
    .array(
      z.strictObject({
        device: z.string(),
        input: z.string(),
        maxK: z.number().positive(),
        staleAfterS: z.number().positive().default(10),
      }),
    )
    .default([]),
  /** What the rule makes safe while tripped. */
  safe: z.strictObject({
    lasers: z.array(z.string()).default([]),
    detectors: z.array(z.string()).default([]),
  }),
});

export const benchConfigSchema = z
  .strictObject({
    benchId: topicSafeName,
    logLevel: z.enum(logLevels).default("info"),
    /** Default back end for devices that do not name one. */
    backend: backendSchema.default("sim"),
    gpio: z
      .strictObject({
        /** sysfs GPIO chip label holding the header lines; found automatically on Raspberry Pi. */
        chipLabel: z.string().optional(),
        /** Override the chip's sysfs base (e.g. 512 on Raspberry Pi kernels ≥ 6.6). */
        base: z.int().min(0).optional(),
      })
      .prefault({}),
    mqtt: mqttSchema,
    loops: loopsSchema,
    safety: safetySchema,
    interlocks: z.array(interlockRuleSchema).default([]),
    devices: z.record(topicSafeName, deviceSchema).default({}),
    correlation: correlationSchema,
    recording: recordingSchema,
    alignment: alignmentSchema,
    spectral: spectralSchema,
    metrics: metricsSchema,
    web: webSchema,
    sparkplug: sparkplugSchema,
    homeAssistant: homeAssistantSchema,
    operations: operationsSchema,
    control: controlSchema,
    sim: simSchema,
  })
  .transform((config, ctx) => {
    const devices = config.devices;
    const expect = (path: (string | number)[], name: string, types: DeviceConfig["type"][]) => {
      const device = devices[name];
      if (!device) ctx.addIssue({ code: "custom", path, message: `no device named "${name}"` });
      else if (!types.includes(device.type))
        ctx.addIssue({
          code: "custom",
          path,
          message: `"${name}" is a ${device.type}, expected ${types.join(" or ")}`,
        });
      return device;
    };
    const expectInput = (path: (string | number)[], deviceName: string, input: string) => {
      const device = expect(path.slice(0, -1).concat("device"), deviceName, ["lakeshore336"]);
      if (device?.type === "lakeshore336" && !(input in device.inputs))
        ctx.addIssue({
          code: "custom",
          path,
          message: `"${deviceName}" has no input named "${input}" (has ${Object.keys(device.inputs).join(", ")})`,
        });
    };
    config.interlocks.forEach((rule, i) => {
      for (const [j, n] of rule.inputs.entries())
        expect(["interlocks", i, "inputs", j], n, ["gpio-interlock"]);
      for (const [j, n] of rule.safe.lasers.entries())
        expect(["interlocks", i, "safe", "lasers", j], n, ["obis-laser"]);
      for (const [j, n] of rule.safe.detectors.entries())
        expect(["interlocks", i, "safe", "detectors", j], n, ["snspd-bias"]);
      for (const [j, t] of rule.temperatures.entries())
        expectInput(["interlocks", i, "temperatures", j, "input"], t.device, t.input);
      if (rule.inputs.length + rule.temperatures.length === 0)
        ctx.addIssue({
          code: "custom",
          path: ["interlocks", i],
          message: "a rule needs inputs or temperatures",
        });
    });
    for (const [name, device] of Object.entries(devices)) {
      if (device.type === "snspd-bias")
        expectInput(
          ["devices", name, "temperature", "input"],
          device.temperature.device,
          device.temperature.input,
        );
    }
    if (config.sparkplug.enabled)
      for (const name of SPARKPLUG_AGENT_DEVICES)
        if (name in devices)
          ctx.addIssue({
            code: "custom",
            path: ["devices", name],
            message: `"${name}" is one of the agent's own Sparkplug devices (${SPARKPLUG_AGENT_DEVICES.join(", ")}): rename the device`,
          });
    checkOperationMetrics(config.operations, devices, ctx);
    if (config.spectral.fabryPerot !== undefined)
      expect(["spectral", "fabryPerot"], config.spectral.fabryPerot, ["fabry-perot"]);
    for (const [name, axes] of Object.entries(config.safety.actuatorLimitsUm)) {
      const stage = expect(["safety", "actuatorLimitsUm", name], name, [...stageTypes]);
      if (!isStage(stage)) continue;
      for (const [axis, limits] of Object.entries(axes)) {
        const travelUm = stageTravelUm(stage, axis as AxisName);
        if (travelUm === undefined)
          ctx.addIssue({
            code: "custom",
            path: ["safety", "actuatorLimitsUm", name, axis],
            message: "no such axis",
          });
        else if (limits.minUm < 0 || limits.maxUm > travelUm)
          ctx.addIssue({
            code: "custom",
            path: ["safety", "actuatorLimitsUm", name, axis],
            message: `limits must lie within the stage travel 0–${Number(travelUm.toFixed(3))} µm`,
          });
      }
    }
    return { ...config, slices: resolveSlices(config, ctx) };
  });

export type BenchConfig = z.infer<typeof benchConfigSchema>;
/** The bench document as written (YAML, a remote push): before defaults and resolution. */
export type BenchDocument = z.input<typeof benchConfigSchema>;
export type MqttConfig = BenchConfig["mqtt"];
export type LoopsConfig = BenchConfig["loops"];
export type SafetyConfig = BenchConfig["safety"];
export type InterlockRule = BenchConfig["interlocks"][number];
