/**
 * What the aligner needs from the bench, as small interfaces: a clock (simulated time on the sim,
 * so a simulated hour takes seconds; real time on hardware), a stage it commands in µm, and a
 * signal it samples — the photodiode through the ADC, or a detector's count rate — with the
 * signal's own noise, so every decision can weigh a difference against its error.
 */
import type { Axis } from "../../hal/interfaces.js";

export interface AlignmentClock {
  nowS(): number;
  sleep(seconds: number): Promise<void>;
}

export interface SignalSample {
  /** In the signal's unit (mW for the photodiode, cps for counts). */
  value: number;
  /** One standard deviation of `value` (relative noise for power, √N/T for counts). */
  sigma: number;
}

export interface AlignmentSignal {
  readonly unit: "mW" | "cps";
  /** One reading over the signal's integration time (the clock advances by it). */
  sample(): Promise<SignalSample>;
}

/** A move the safety layer refuses (interlock active, actuator fault); the aligner holds and waits. */
export class MotionBlocked extends Error {
  override name = "MotionBlocked";
}

export type AlignmentMode = "idle" | "search" | "peak" | "track" | "reacquire" | "blocked";

export interface AlignmentState {
  mode: AlignmentMode;
  /** Commanded position per axis, µm. */
  positionUm: Partial<Record<Axis, number>>;
  signal: number;
  signalUnit: "mW" | "cps";
  /** Signal over the last known peak (the best the tracker has seen lately). */
  fractionOfPeak: number;
  /** Signal lost to the tracking dither itself, 1 − exp(−a²/w²). */
  ditherLoss: number;
  /** Mode radius the peak fit measured, µm. */
  modeRadiusUm: number;
  samples: number;
  /** Moves whose target lay beyond a soft limit and were clamped to it. */
  clampedMoves: number;
  /** Why the aligner stopped or what it is waiting for. */
  note?: string;
}
