/**
 * The stages that move the fibre-coupling optics (the Actuator role): a DAC through a high-voltage
 * amplifier, a Thorlabs MDT693B/694B, KPZ101 K-Cubes — their schemas, and each axis' travel.
 */
import { z } from "zod";
import { deviceBase, i2cTargetSchema, serialSchema } from "./common.js";
import type { DeviceConfig, DeviceOfType } from "./devices.js";

export const axisNames = ["x", "y", "z"] as const;
export const axisSchema = z.enum(axisNames);
export type AxisName = z.infer<typeof axisSchema>;

/** Piezo stage driven by an MCP4728 quad 12-bit DAC through a high-voltage amplifier. */
export const piezoStageSchema = z.strictObject({
  ...deviceBase,
  type: z.literal("piezo-mcp4728"),
  i2c: i2cTargetSchema.extend({ address: i2cTargetSchema.shape.address.default(0x60) }),
  axes: z
    .partialRecord(
      axisSchema,
      z.strictObject({
        channel: z.int().min(0).max(3),
        /** Stage travel at full DAC scale, µm. */
        travelUm: z.number().positive().max(1000),
      }),
    )
    .refine((axes) => Object.keys(axes).length > 0, { message: "needs at least one axis" }),
});

/**
 * Thorlabs MDT693B (x, y, z outputs) or MDT694B (x only) open-loop piezo controller: 115200 8N1,
 * commands end in CR, replies end in the `*` prompt (hal/devices/thorlabs-mdt.ts).
 */
export const thorlabsMdtSchema = z
  .strictObject({
    ...deviceBase,
    type: z.literal("thorlabs-mdt"),
    model: z.enum(["MDT693B", "MDT694B"]),
    serial: serialSchema({ baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1, timeoutMs: 500 }),
    axes: z
      .partialRecord(
        axisSchema,
        z.strictObject({
          channel: z.enum(["x", "y", "z"]),
          /** The stage's travel per volt of output, µm/V (e.g. 20 µm at 75 V → 0.267). */
          umPerV: z.number().positive().max(100),
        }),
      )
      .refine((axes) => Object.keys(axes).length > 0, { message: "needs at least one axis" }),
  })
  .refine((d) => d.model === "MDT693B" || Object.values(d.axes).every((a) => a?.channel === "x"), {
    message: "an MDT694B has one output, channel x",
    path: ["axes"],
  });

/**
 * Thorlabs KPZ101 K-Cube piezo drivers, one per axis (each cube drives one piezo): the APT binary
 * protocol over each cube's USB serial port, 115200 8N1 with RTS/CTS (hal/devices/thorlabs-kpz101.ts).
 */
export const thorlabsKpz101Schema = z.strictObject({
  ...deviceBase,
  type: z.literal("thorlabs-kpz101"),
  /** The output limit the cubes are set to: no more than the piezos are rated for. */
  voltageLimitV: z.union([z.literal(75), z.literal(100), z.literal(150)]).default(75),
  axes: z
    .partialRecord(
      axisSchema,
      z.strictObject({
        serial: serialSchema({
          baudRate: 115200,
          dataBits: 8,
          parity: "none",
          stopBits: 1,
          timeoutMs: 500,
          rtscts: true,
        }),
        /** The stage's travel per volt of output, µm/V (e.g. 20 µm at 75 V → 0.267). */
        umPerV: z.number().positive().max(100),
      }),
    )
    .refine((axes) => Object.keys(axes).length > 0, { message: "needs at least one axis" }),
});

/** Devices that move the fibre-coupling stage (the Actuator role), each axis with its travel. */
export const stageTypes = ["piezo-mcp4728", "thorlabs-mdt", "thorlabs-kpz101"] as const;
export type StageConfig = DeviceOfType<(typeof stageTypes)[number]>;
export const isStage = (d: DeviceConfig | undefined): d is StageConfig =>
  d !== undefined && (stageTypes as readonly string[]).includes(d.type);

/** The MDT's front-panel voltage limit switch goes up to 150 V. */
const MDT_HIGHEST_LIMIT_V = 150;

/**
 * How far a stage's axis can travel, µm (undefined: the device is no stage, or has no such axis).
 * A Thorlabs MDT's depends on its front-panel limit (75/100/150 V), known only from the unit: the
 * highest here, and the driver refuses beyond the unit's own.
 */
export function stageTravelUm(device: DeviceConfig | undefined, axis: AxisName): number | undefined {
  if (device?.type === "piezo-mcp4728") return device.axes[axis]?.travelUm;
  if (device?.type === "thorlabs-mdt") {
    const a = device.axes[axis];
    return a && MDT_HIGHEST_LIMIT_V * a.umPerV;
  }
  if (device?.type === "thorlabs-kpz101") {
    const a = device.axes[axis];
    return a && device.voltageLimitV * a.umPerV;
  }
  return undefined;
}
