/**
 * The time-taggers' driver factories (agent/devices.ts builds every other device): our framed
 * stream over serial or TCP, a file replayed, and the vendors' instruments through their libraries.
 */
import type { TaggerConfig } from "../config/devices.js";
import { SerialTagger } from "../hal/devices/serial-tagger.js";
import type { SerialLink, TimeTagSource } from "../hal/interfaces.js";
import type { NativeLibraryLoader } from "../hal/native.js";
import type { BuildContext, DriverFactory } from "./devices.js";
import { PicoQuantTagger } from "./sources/picoquant-tagger.js";
import { QutagTagger } from "./sources/qutag-tagger.js";
import { ReplayTagger } from "./sources/replay-tagger.js";
import { SwabianTagger } from "./sources/swabian-tagger.js";

type TaggerType = TaggerConfig["type"];

export const taggerDrivers: { [T in TaggerType]: DriverFactory<T> } = {
  "serial-tagger": async (ctx, name, device) =>
    framedTagger(ctx, name, ctx.serial(name, device), device.channels, device.serial.timeoutMs),
  "tcp-tagger": async (ctx, name, device) => {
    const link = ctx.tcpLink(name, device.tcp, "\r\n");
    return framedTagger(ctx, name, link, device.channels, device.tcp.timeoutMs);
  },
  "replay-tagger": async (ctx, name, device) => {
    return source(
      ctx,
      name,
      new ReplayTagger(
        name,
        { ...device, channelNames: channelNames(device.channels) },
        ctx.options.logger.child({ device: name }),
      ),
    );
  },
  "picoquant-tagger": async (ctx, name, device) => {
    return source(
      ctx,
      name,
      new PicoQuantTagger(
        name,
        {
          ...device,
          syncDivider: device.channels.syncDivider,
          channelNames: channelNames(device.channels),
        },
        loadNative,
        ctx.options.logger.child({ device: name }),
      ),
    );
  },
  "qutag-tagger": async (ctx, name, device) => {
    return source(
      ctx,
      name,
      new QutagTagger(
        name,
        { ...device, channelNames: channelNames(device.channels) },
        loadNative,
        ctx.options.logger.child({ device: name }),
      ),
    );
  },
  "swabian-tagger": async (ctx, name, device) => {
    const { sync, syncDivider } = device.channels;
    return source(
      ctx,
      name,
      new SwabianTagger(
        name,
        {
          ...device,
          eventDividers: sync !== undefined && syncDivider > 1 ? { [sync]: syncDivider } : {},
          channelNames: channelNames(device.channels),
        },
        ctx.options.logger.child({ device: name }),
      ),
    );
  },
};

/** A vendor's C library, through koffi: loaded only when the bench has such a tagger. */
const loadNative: NativeLibraryLoader = async (path, what) =>
  (await import("../hal/backends/native-library.js")).loadNativeLibrary(path, what);

/** A tagger speaking our framed stream on `link` (serial or TCP). */
function framedTagger(
  ctx: BuildContext,
  name: string,
  link: SerialLink,
  channels: TaggerConfig["channels"],
  timeoutMs: number,
): SerialTagger {
  return source(
    ctx,
    name,
    new SerialTagger(
      name,
      link,
      { channelNames: channelNames(channels), firstFrameTimeoutMs: Math.max(1000, timeoutMs) },
      ctx.options.logger.child({ device: name }),
    ),
  );
}

/** The tagger, listed among the bench's time-tag sources. */
function source<S extends TimeTagSource>(ctx: BuildContext, name: string, tagger: S): S {
  ctx.out.timeTagSources.set(name, tagger);
  return tagger;
}

/** Telemetry names of a tagger's channels: { 0: "sync", 1: "detectorA", … }. */
function channelNames(channels: TaggerConfig["channels"]): Record<number, string> {
  const names: Record<number, string> = {};
  if (channels.sync !== undefined) names[channels.sync] = "sync";
  for (const [detector, channel] of Object.entries(channels.detectors)) names[channel] = detector;
  return names;
}
