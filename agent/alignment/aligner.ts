/**
 * The fibre-coupling aligner, NanoTrak-like, on a power or a photon-count signal:
 *  - search: a square spiral out from where the stage is, over a region, with a step below the
 *    mode size, until the signal is significantly above `foundAbove` (confirmed by a second look);
 *  - peak: per axis, three samples and a parabola through ln(signal) — exact for a Gaussian mode,
 *    so a few iterations converge from several mode radii away; the curvature gives the mode
 *    radius w, which the tracker needs;
 *  - track: a circular dither of radius a around the centre, ln(signal) demodulated at the dither
 *    frequency: the first harmonic is −2a(c − p)/w², so the centre moves by a fraction of the
 *    estimated offset each cycle. The dither costs 1 − exp(−a²/w²) of the signal, reported;
 *  - reacquire: when a cycle's signal falls significantly below `lossFraction` of the recent peak
 *    twice running (a knock), a spiral widening from the centre until the signal is back, then
 *    peak, then track again.
 * All decisions compare signals with their noise (σ from the signal), so photon counts work too.
 */
import type { Axis } from "../../hal/interfaces.js";
import type { Logger } from "../../hal/logger.js";
import { ditherOffset, lnSignal, logParabola, meanOf, SIGNIFICANT } from "./estimates.js";
import type { SafeStage } from "./safe-stage.js";
import { squareSpiral } from "./spiral.js";
import {
  type AlignmentClock,
  type AlignmentMode,
  type AlignmentSignal,
  type AlignmentState,
  MotionBlocked,
  type SignalSample,
} from "./types.js";

export interface AlignerSettings {
  /** Axes the peak search optimises (x, y, and z for focus when configured). */
  peakAxes: Axis[];
  /** Starting guess of the 1/e² mode radius in stage coordinates, µm; the peak fit refines it. */
  modeRadiusUm: number;
  search: {
    /** Half-width of the square region searched around the start, µm. */
    halfWidthUm: number;
    stepUm: number;
    /** The signal that means light is coupled (signal units). */
    foundAbove: number;
  };
  peak: { maxIterations: number; toleranceUm: number };
  track: { ditherUm: number; phases: number; gain: number; maxStepUm: number };
  reacquire: {
    /** A cycle below this fraction of the recent peak (significantly) counts as lost. */
    lossFraction: number;
    confirmCycles: number;
    stepUm: number;
    maxRadiusUm: number;
    /** Found again at this fraction of the recent peak. */
    foundFraction: number;
  };
  /**
   * While tracking, the recent peak follows the dither-corrected signal with this time constant, s
   * (so a slow change of laser power is followed, a knock is not).
   */
  peakAveragingS: number;
}

/** The final peak pass averages each point to about this relative error. */
const FINE_RELATIVE_ERROR = 0.02;

export class Aligner {
  private mode: AlignmentMode = "idle";
  private stopRequested = false;
  private centre: Partial<Record<Axis, number>>;
  private modeRadiusUm: number;
  private recentPeak = 0;
  private recentPeakAtS = 0;
  private last: SignalSample = { value: 0, sigma: 0 };
  /** On the peak (after a peak fit), until a loss: `run()` then goes straight on tracking. */
  private locked = false;
  private searchFirst = false;
  /** Consecutive tracking cycles below the loss level (kept across run() calls). */
  private lostCycles = 0;
  samples = 0;
  /** Losses detected while tracking (knocks) and recovered or not. */
  losses = 0;

  constructor(
    private readonly settings: AlignerSettings,
    private readonly stage: SafeStage,
    private readonly signal: AlignmentSignal,
    private readonly clock: AlignmentClock,
    private readonly logger: Logger,
    private readonly onState: (state: AlignmentState) => void = () => {},
  ) {
    this.centre = stage.positions();
    this.modeRadiusUm = settings.modeRadiusUm;
  }

  state(note?: string): AlignmentState {
    const { ditherUm } = this.settings.track;
    return {
      mode: this.mode,
      positionUm: this.stage.positions(),
      signal: this.last.value,
      signalUnit: this.signal.unit,
      fractionOfPeak: this.recentPeak > 0 ? this.last.value / this.recentPeak : 0,
      ditherLoss: 1 - Math.exp(-(ditherUm ** 2) / this.modeRadiusUm ** 2),
      modeRadiusUm: this.modeRadiusUm,
      samples: this.samples,
      clampedMoves: this.stage.clampedMoves,
      ...(note ? { note } : {}),
    };
  }

  /** Asks every mode to finish at its next sample; the stage holds where it is. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Goes to `position` (the last good one, after a restart) and fits the peak from there at the next run(). */
  async returnTo(position: Partial<Record<Axis, number>>): Promise<void> {
    await this.goTo(position);
    this.centre = { ...this.centre, ...this.stage.positions() };
    this.restartFrom("peak");
  }

  /** Forgets the peak: the next run() starts with a search over the region, or a peak fit from here. */
  restartFrom(mode: "search" | "peak"): void {
    this.locked = false;
    this.searchFirst = mode === "search";
  }

  /**
   * First light to tracking, recovering from knocks, until `untilS` (clock time) or stop(). Motion
   * refused by the safety gate (interlock) pauses everything; it resumes when motion is allowed.
   */
  async run(untilS: number): Promise<AlignmentState> {
    this.stopRequested = false;
    while (!this.stopRequested && this.clock.nowS() < untilS) {
      try {
        if (this.searchFirst) {
          this.searchFirst = false;
          if (!(await this.search())) return this.finish("nothing found in the search region");
        }
        if (!this.locked && !(await this.peak()))
          return this.finish("the peak was not found in the search region");
        const outcome = await this.track(untilS);
        if (outcome === "lost" && !(await this.reacquire()))
          return this.finish("the peak was lost and not found again");
      } catch (err) {
        if (!(err instanceof MotionBlocked)) throw err;
        this.setMode("blocked", err.message);
        await this.clock.sleep(0.5);
      }
    }
    return this.finish();
  }

  private finish(note?: string): AlignmentState {
    this.setMode("idle", note);
    if (note) this.logger.warn({ note }, "alignment stopped");
    return this.state(note);
  }

  private setMode(mode: AlignmentMode, note?: string): void {
    this.mode = mode;
    this.onState(this.state(note));
  }

  private async measure(): Promise<SignalSample> {
    this.last = await this.signal.sample();
    this.samples++;
    return this.last;
  }

  private significant(s: SignalSample, above: number): boolean {
    return s.value - SIGNIFICANT * s.sigma > above;
  }

  private async goTo(position: Partial<Record<Axis, number>>): Promise<void> {
    for (const [axis, um] of Object.entries(position) as Array<[Axis, number]>)
      await this.stage.goUm(axis, um);
  }

  /** Spiral until `found` (a hit confirmed by a second sample), leaving the stage there; else back at the start. */
  private async spiralSearch(
    step: number,
    maxRadius: number,
    found: (s: SignalSample) => boolean,
  ): Promise<boolean> {
    const start = this.stage.positions();
    for (const point of squareSpiral(start, step, maxRadius, this.stage.range("x"), this.stage.range("y"))) {
      if (this.stopRequested) return false;
      await this.goTo(point);
      if (found(await this.measure()) && found(await this.measure())) {
        this.centre = { ...this.centre, ...point };
        return true;
      }
    }
    await this.goTo({ x: start.x!, y: start.y! });
    return false;
  }

  /** First light: is there signal here, else spiral over the search region. */
  async search(): Promise<boolean> {
    this.setMode("search");
    const { halfWidthUm, stepUm, foundAbove } = this.settings.search;
    return this.spiralSearch(stepUm, halfWidthUm, (s) => this.significant(s, foundAbove));
  }

  /** Converges on the maximum, axis by axis, by parabolas through ln(signal). */
  async peak(): Promise<boolean> {
    const { foundAbove } = this.settings.search;
    // In the dark a fit would wander: find the light first.
    if (!this.significant(await this.measure(), foundAbove) && !(await this.search())) return false;
    this.centre = { ...this.centre, ...this.stage.positions() };
    this.setMode("peak");
    const { maxIterations, toleranceUm } = this.settings.peak;
    for (let iteration = 0; iteration < maxIterations && !this.stopRequested; iteration++) {
      let largest = 0;
      for (const axis of this.settings.peakAxes) largest = Math.max(largest, await this.fitAxis(axis));
      if (largest < toleranceUm) break;
    }
    // A last pass with each point averaged until its relative error is ~2 % (photon counts near the peak).
    const here = await this.measure();
    const repeats = Math.min(
      8,
      Math.ceil((here.sigma / Math.max(here.value, 1e-12) / FINE_RELATIVE_ERROR) ** 2),
    );
    if (repeats > 1) for (const axis of this.settings.peakAxes) await this.fitAxis(axis, repeats);
    await this.approachCentre();
    const top = await this.measure();
    if (!this.significant(top, foundAbove)) return false;
    this.notePeak(top.value);
    this.locked = true;
    return true;
  }

  private async approachCentre(): Promise<void> {
    for (const axis of this.settings.peakAxes) await this.stage.approachUm(axis, this.centre[axis]!);
  }

  /** The mean of `n` samples here, with its error. */
  private async measureMean(n: number): Promise<SignalSample> {
    if (n === 1) return this.measure();
    const samples: SignalSample[] = [];
    for (let i = 0; i < n; i++) samples.push(await this.measure());
    return meanOf(samples);
  }

  /**
   * Three points along one axis (approached from below, each the mean of `repeats` samples), the
   * parabola's vertex; returns how far the centre moved.
   */
  private async fitAxis(axis: Axis, repeats = 1): Promise<number> {
    const c = this.centre[axis] ?? this.stage.positionUm(axis);
    const h = Math.min(2, Math.max(0.2, 0.5 * this.modeRadiusUm));
    await this.stage.approachUm(axis, c - h);
    const below = await this.measureMean(repeats);
    await this.stage.moveToUm(axis, c);
    const mid = await this.measureMean(repeats);
    await this.stage.moveToUm(axis, c + h);
    const above = await this.measureMean(repeats);
    const fit = logParabola(h, below, mid, above);
    let delta: number;
    // A clear maximum: the vertex (and the mode radius from the curvature, if it is plausible).
    if (fit) {
      delta = fit.deltaUm;
      const w = fit.widthUm;
      if (w > 0.3 * this.settings.modeRadiusUm && w < 3 * this.settings.modeRadiusUm)
        this.modeRadiusUm = 0.7 * this.modeRadiusUm + 0.3 * w;
    } else delta = lnSignal(above) > lnSignal(below) ? 2 * h : -2 * h; // no maximum between: climb
    const { minUm, maxUm } = this.stage.range(axis);
    const target = Math.min(maxUm, Math.max(minUm, c + delta));
    this.centre[axis] = target;
    return Math.abs(target - c);
  }

  /** The peak as just measured (peak mode) or, `averaged`, folded into the running estimate (track). */
  private notePeak(value: number, averaged = false): void {
    const now = this.clock.nowS();
    const weight = averaged ? Math.min(1, (now - this.recentPeakAtS) / this.settings.peakAveragingS) : 1;
    this.recentPeak += (value - this.recentPeak) * weight;
    this.recentPeakAtS = now;
  }

  /** Dither-and-demodulate until `untilS`, stop(), or a loss ("lost"). */
  async track(untilS: number): Promise<"done" | "lost"> {
    this.setMode("track");
    const { ditherUm: a, phases, gain, maxStepUm } = this.settings.track;
    const { lossFraction, confirmCycles } = this.settings.reacquire;
    while (!this.stopRequested && this.clock.nowS() < untilS) {
      const cx = this.centre.x!;
      const cy = this.centre.y!;
      const samples: SignalSample[] = [];
      for (let k = 0; k < phases; k++) {
        const phi = (2 * Math.PI * k) / phases;
        await this.goTo({ x: cx + a * Math.cos(phi), y: cy + a * Math.sin(phi) });
        samples.push(await this.measure());
      }
      const { value: mean, sigma: meanSigma } = meanOf(samples);
      const w2 = this.modeRadiusUm ** 2;
      // Offset of the centre from the peak, from the first harmonic; step back a fraction of it.
      const { x: ox, y: oy } = ditherOffset(samples, a, this.modeRadiusUm);
      const step = Math.hypot(ox, oy) * gain;
      const scale = step > maxStepUm ? maxStepUm / step : 1;
      const x = this.stage.range("x");
      const y = this.stage.range("y");
      this.centre.x = Math.min(x.maxUm - a, Math.max(x.minUm + a, cx - gain * ox * scale));
      this.centre.y = Math.min(y.maxUm - a, Math.max(y.minUm + a, cy - gain * oy * scale));
      // What the peak would read without the dither (the offset estimate is too noisy to correct for).
      this.notePeak(mean / Math.exp(-(a * a) / w2), true);
      this.last = { value: mean, sigma: meanSigma };
      this.onState(this.state());
      if (mean + SIGNIFICANT * meanSigma < lossFraction * this.recentPeak) {
        if (++this.lostCycles >= confirmCycles) {
          this.lostCycles = 0;
          this.losses++;
          this.locked = false;
          this.logger.warn(
            { signal: mean, recentPeak: this.recentPeak },
            "coupling lost while tracking: reacquiring",
          );
          return "lost";
        }
      } else this.lostCycles = 0;
    }
    return "done";
  }

  /** A widening spiral from the centre until the signal is back, then peak. */
  async reacquire(): Promise<boolean> {
    this.setMode("reacquire");
    const { stepUm, maxRadiusUm, foundFraction } = this.settings.reacquire;
    const threshold = foundFraction * this.recentPeak;
    await this.goTo({ x: this.centre.x!, y: this.centre.y! });
    if (!(await this.spiralSearch(stepUm, maxRadiusUm, (s) => this.significant(s, threshold)))) return false;
    return this.peak();
  }
}
