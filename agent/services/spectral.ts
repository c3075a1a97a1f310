/**
 * The source's spectral purity: every `everyS` the scanning Fabry–Pérot is swept and a Lorentzian
 * fitted to the scan (spectral/lorentzian-fit.ts). The line's own FWHM is the fitted one less the
 * cavity's (FSR / finesse: two Lorentzians convolve to one whose width is their sum). Published as
 * `measurement/linewidth` with its error, the line's position in the scan, and the history of the
 * last `historyLength` scans. `alarmAfterScans` scans in a row broader than `maxLinewidthMHz` raise
 * `spectral-diffusion` (warning); a scan back under it clears it. A scan with no line is published
 * as such and counted; a scan that fails (the DAC or ADC not answering) is logged and counted.
 */
import type { SpectralConfig } from "../../config/spectral.js";
import type { FabryPerot } from "../../hal/devices/fabry-perot.js";
import type { TelemetryValues } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import type { EventBus } from "../events.js";
import type { Service } from "../service.js";
import { fitLorentzian } from "../spectral/lorentzian-fit.js";

export interface SpectralDeps {
  /** The bench's Fabry–Pérot devices, read at start (they are built by then). */
  cavities: ReadonlyMap<string, FabryPerot>;
  settings: SpectralConfig & { fabryPerot: string };
  bus: EventBus;
  logger: Logger;
}

interface HistoryPoint {
  ts: string;
  linewidthMHz: number;
  linewidthErrorMHz: number;
  centreGHz: number;
}

export class SpectralService implements Service {
  readonly name = "spectral";
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private broadInARow = 0;
  private alarmed = false;
  private readonly history: HistoryPoint[] = [];
  private readonly count = { spectralScans: 0, spectralScansWithoutLine: 0, spectralScanFailures: 0 };

  constructor(private readonly deps: SpectralDeps) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  health(): TelemetryValues {
    return { ...this.count };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.once().finally(() => this.schedule(this.deps.settings.everyS * 1000));
    }, delayMs);
    this.timer.unref();
  }

  private async once(): Promise<void> {
    const name = this.deps.settings.fabryPerot;
    const cavity = this.deps.cavities.get(name);
    if (!cavity) {
      this.count.spectralScanFailures++;
      this.deps.logger.error({ device: name }, "no Fabry–Pérot to scan (the device could not be set up)");
      return;
    }
    let scan: Awaited<ReturnType<FabryPerot["scan"]>>;
    try {
      scan = await cavity.scan();
    } catch (err) {
      this.count.spectralScanFailures++;
      this.deps.logger.error({ device: name, err: (err as Error).message }, "Fabry–Pérot scan failed");
      return;
    }
    this.count.spectralScans++;
    const { frequencyGHz, signalV } = inOneOrder(scan.frequencyGHz, scan.signalV, cavity.settings.fsrGHz);
    const fit = fitLorentzian(frequencyGHz, signalV);
    const ts = new Date(scan.endedAtMs).toISOString();
    const scanS = Number(((scan.endedAtMs - scan.startedAtMs) / 1000).toFixed(3));
    if (!fit) {
      this.count.spectralScansWithoutLine++;
      this.deps.bus.emit("measurement", { ts, name: "linewidth", source: name, lineFound: false, scanS });
      return;
    }
    const instrumentMHz = cavity.instrumentWidthMHz;
    const linewidthMHz = fit.fwhmGHz * 1000 - instrumentMHz;
    const point: HistoryPoint = {
      ts,
      linewidthMHz: round(linewidthMHz, 1),
      linewidthErrorMHz: round(fit.fwhmErrorGHz * 1000, 1),
      centreGHz: round(fit.centreGHz, 4),
    };
    this.history.push(point);
    if (this.history.length > this.deps.settings.historyLength) this.history.shift();
    this.deps.bus.emit("measurement", {
      ...point,
      name: "linewidth",
      source: name,
      lineFound: true,
      fittedFwhmMHz: round(fit.fwhmGHz * 1000, 1),
      instrumentWidthMHz: round(instrumentMHz, 3),
      centreErrorGHz: round(fit.centreErrorGHz, 4),
      amplitudeV: round(fit.amplitudeV, 5),
      backgroundV: round(fit.backgroundV, 5),
      residualRmsV: round(fit.residualRmsV, 5),
      scanS,
      history: [...this.history],
    });
    this.watchBroadening(linewidthMHz, ts);
  }

  private watchBroadening(linewidthMHz: number, ts: string): void {
    const limit = this.deps.settings.maxLinewidthMHz;
    if (limit === undefined) return;
    this.broadInARow = linewidthMHz > limit ? this.broadInARow + 1 : 0;
    const active = this.broadInARow >= this.deps.settings.alarmAfterScans;
    if (active === this.alarmed) return;
    this.alarmed = active;
    this.deps.bus.emit("alarm", {
      ts,
      name: "spectral-diffusion",
      active,
      severity: "warning",
      message: active
        ? `linewidth ${linewidthMHz.toFixed(0)} MHz above ${limit} MHz for ${this.broadInARow} scans in a row (spectral diffusion?)`
        : `linewidth back to ${linewidthMHz.toFixed(0)} MHz, under ${limit} MHz`,
    });
  }
}

/**
 * A scan wider than the free spectral range shows the line in two orders: only the points within
 * half an FSR of the highest one are fitted.
 */
function inOneOrder(f: Float64Array, y: Float64Array, fsrGHz: number) {
  if (f[f.length - 1]! - f[0]! <= fsrGHz) return { frequencyGHz: f, signalV: y };
  let top = 0;
  for (let i = 1; i < y.length; i++) if (y[i]! > y[top]!) top = i;
  const keep = [...f.keys()].filter((i) => Math.abs(f[i]! - f[top]!) <= fsrGHz / 2);
  return {
    frequencyGHz: Float64Array.from(keep, (i) => f[i]!),
    signalV: Float64Array.from(keep, (i) => y[i]!),
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
