/**
 * Verbs that move hardware. Each checks the interlocks and the safety limits in force before it
 * touches anything, and refuses with the rule or the limit it would break; switching something
 * off is always allowed.
 */
import { z } from "zod";
import { stageTravelUm } from "../../config/devices.js";
import type { Axis } from "../../hal/interfaces.js";
import { type ControlContext, pickDevice, requireNoInterlock } from "./context.js";
import { ControlError } from "./protocol.js";
import { verb } from "./verb.js";

const device = z.string().min(1).max(64).optional();
const axis = z.enum(["x", "y", "z"]);

function withinLimit(value: number, max: number, what: string, path: string, unit: string): void {
  if (value > max)
    throw new ControlError(
      "limit",
      `${what} ${value} ${unit} is above the safety limit ${max} ${unit}`,
      path,
    );
}

function stageLimits(ctx: ControlContext, name: string, ax: Axis): { minUm: number; maxUm: number } {
  const stage = ctx.deviceConfigs()[name];
  const travel = stageTravelUm(stage, ax);
  if (travel === undefined) throw new ControlError("invalid", `${name} has no ${ax} axis`, "axis");
  const soft = ctx.safety().actuatorLimitsUm[name]?.[ax];
  return { minUm: Math.max(0, soft?.minUm ?? 0), maxUm: Math.min(travel, soft?.maxUm ?? travel) };
}

async function moveStage(ctx: ControlContext, name: string | undefined, ax: Axis, targetUm: number) {
  const [stageName, stage] = pickDevice(ctx.devices.actuators, name, "stage");
  const tripped = ctx.interlocks.trippedRules();
  if (tripped.length > 0)
    throw new ControlError("interlock", `interlock ${tripped.join(", ")} tripped: no motion`);
  if (ctx.alignment?.active)
    throw new ControlError("conflict", "the aligner is moving the stage: send alignment/stop first");
  const { minUm, maxUm } = stageLimits(ctx, stageName, ax);
  if (!(targetUm >= minUm && targetUm <= maxUm))
    throw new ControlError(
      "limit",
      `${ax} = ${targetUm} µm is outside the soft limits ${minUm}–${maxUm} µm of ${stageName}`,
      "positionUm",
    );
  await stage.moveToUm(ax, targetUm);
  return { device: stageName, axis: ax, positionUm: targetUm };
}

export const hardwareVerbs = {
  "laser/emission": verb(z.strictObject({ device, on: z.boolean() }), async ({ device: name, on }, ctx) => {
    const [laserName, laser] = pickDevice(ctx.devices.lasers, name, "laser");
    if (on) requireNoInterlock(ctx, laserName);
    await laser.setEmission(on);
    return { device: laserName, emission: on };
  }),

  "laser/power": verb(
    z.strictObject({ device, powerMw: z.number().finite().min(0) }),
    async ({ device: name, powerMw }, ctx) => {
      const [laserName, laser] = pickDevice(ctx.devices.lasers, name, "laser");
      withinLimit(powerMw, ctx.safety().laserMaxPowerMw, "power", "powerMw", "mW");
      await laser.setPowerMw(powerMw);
      return { device: laserName, powerMw };
    },
  ),

  "cryostat/setpoint": verb(
    z.strictObject({
      device,
      output: z.union([z.literal(1), z.literal(2)]).optional(),
      tempK: z.number().finite(),
    }),
    async ({ device: name, output, tempK }, ctx) => {
      const [tcName, tc] = pickDevice(ctx.devices.temperatureControllers, name, "temperature controller");
      const { setpointMinK, setpointMaxK } = ctx.safety();
      if (tempK < setpointMinK || tempK > setpointMaxK)
        throw new ControlError(
          "limit",
          `set-point ${tempK} K is outside the safety limits ${setpointMinK}–${setpointMaxK} K`,
          "tempK",
        );
      const settings = ctx.deviceConfigs()[tcName];
      const loop = output ?? (settings?.type === "lakeshore336" ? settings.heaterOutput : 1);
      await tc.setSetpointK(loop, tempK);
      return { device: tcName, output: loop, tempK };
    },
  ),

  "cryostat/heater-range": verb(
    z.strictObject({
      device,
      output: z.union([z.literal(1), z.literal(2)]).optional(),
      range: z.enum(["off", "low", "medium", "high"]),
    }),
    async ({ device: name, output, range }, ctx) => {
      const [tcName, tc] = pickDevice(ctx.devices.temperatureControllers, name, "temperature controller");
      const settings = ctx.deviceConfigs()[tcName];
      const loop = output ?? (settings?.type === "lakeshore336" ? settings.heaterOutput : 1);
      await tc.setHeaterRange(loop, range);
      return { device: tcName, output: loop, range };
    },
  ),

  "detector/bias": verb(
    z.strictObject({ device, on: z.boolean(), biasUa: z.number().finite().min(0).optional() }),
    async ({ device: name, on, biasUa }, ctx) => {
      const [detectorName, detector] = pickDevice(ctx.devices.detectors, name, "detector");
      if (!on) {
        await detector.makeSafe();
        return { device: detectorName, on, biasUa: 0 };
      }
      requireNoInterlock(ctx, detectorName);
      const target = biasUa ?? (await detector.readBiasUa());
      withinLimit(target, ctx.safety().detectorMaxBiasUa, "bias", "biasUa", "µA");
      await detector.setEnabled(true);
      await detector.setBiasUa(target);
      return { device: detectorName, on, biasUa: target };
    },
  ),

  "detector/reset-latch": verb(z.strictObject({ device }), async ({ device: name }, ctx) => {
    const [detectorName, detector] = pickDevice(ctx.devices.detectors, name, "detector");
    requireNoInterlock(ctx, detectorName);
    const biasUa = await detector.readBiasUa();
    withinLimit(biasUa, ctx.safety().detectorMaxBiasUa, "bias", "biasUa", "µA");
    await detector.setBiasUa(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await detector.setBiasUa(biasUa);
    return { device: detectorName, biasUa, latched: await detector.readLatched() };
  }),

  "stage/move": verb(
    z.strictObject({ device, axis, positionUm: z.number().finite() }),
    ({ device: name, axis: ax, positionUm }, ctx) => moveStage(ctx, name, ax, positionUm),
  ),

  "stage/jog": verb(
    z.strictObject({ device, axis, deltaUm: z.number().finite().min(-100).max(100) }),
    async ({ device: name, axis: ax, deltaUm }, ctx) => {
      const [, stage] = pickDevice(ctx.devices.actuators, name, "stage");
      return moveStage(ctx, name, ax, (await stage.readPositionUm(ax)) + deltaUm);
    },
  ),
};
