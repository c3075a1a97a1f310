/**
 * The stages' driver factories (agent/devices.ts builds every other device): each axis gets the
 * soft limits `safety.actuatorLimitsUm.<stage>` sets for it.
 */
import type { StageConfig } from "../config/devices.js";
import { PiezoStage } from "../hal/devices/piezo-mcp4728.js";
import { ThorlabsKpz101 } from "../hal/devices/thorlabs-kpz101.js";
import { ThorlabsMdt } from "../hal/devices/thorlabs-mdt.js";
import type { Axis } from "../hal/interfaces.js";
import type { BuildContext, DriverFactory } from "./devices.js";

export const stageDrivers: { [T in StageConfig["type"]]: DriverFactory<T> } = {
  "piezo-mcp4728": async (ctx, name, device) => {
    const axes = withSoftLimits(ctx, name, device.axes);
    const stage = new PiezoStage(name, await ctx.dac(name, device.i2c.bus, device.i2c.address), axes);
    ctx.out.actuators.set(name, stage);
    return stage;
  },
  "thorlabs-mdt": async (ctx, name, device) => {
    const axes = withSoftLimits(ctx, name, device.axes);
    const stage = new ThorlabsMdt(name, ctx.serial(name, device), axes);
    ctx.out.actuators.set(name, stage);
    return stage;
  },
  "thorlabs-kpz101": async (ctx, name, device) => {
    const cubes = Object.fromEntries(
      Object.entries(device.axes).map(([axis, a]) => [
        axis,
        { umPerV: a.umPerV, link: ctx.serialPort(name, device.type, a.serial) },
      ]),
    );
    const stage = new ThorlabsKpz101(name, withSoftLimits(ctx, name, cubes), device.voltageLimitV);
    ctx.out.actuators.set(name, stage);
    return stage;
  },
};

/** A stage's axes with the soft limits `safety.actuatorLimitsUm.<stage>` sets for them. */
function withSoftLimits<A extends object>(
  ctx: BuildContext,
  name: string,
  axes: Partial<Record<Axis, A>>,
): Partial<Record<Axis, A & { minUm?: number; maxUm?: number }>> {
  const limits = ctx.config.safety.actuatorLimitsUm[name] ?? {};
  return Object.fromEntries(
    Object.entries(axes).map(([axis, a]) => [axis, { ...a, ...limits[axis as Axis] }]),
  );
}
