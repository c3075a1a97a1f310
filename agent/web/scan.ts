/**
 * The aligner's last scan and its tracking trail, for the web view's heat map. Every signal
 * reading taken while searching, fitting the peak or reacquiring is a point (x, y, signal) of the
 * scan; a new scan starts when the aligner goes from any other mode into one of those. While it
 * tracks, its position is added to the trail at most every `TRAIL_EVERY_S`. Both are rings of
 * fixed size.
 */
import type { AlignmentSampleEvent } from "../events.js";
import { ringOrder } from "./history.js";

const SCAN_MODES: ReadonlySet<string> = new Set(["search", "peak", "reacquire"]);
/** Points of one scan kept (a ±45 µm search at 2 µm steps is about 2000). */
export const SCAN_POINTS = 8000;
export const TRAIL_POINTS = 600;
const TRAIL_EVERY_S = 0.5;

export interface ScanMap {
  /** The whole scan and trail, for a page that opens. */
  full: { unit: string | null; points: number[][]; trail: number[][] };
  /** What was added since the last delta; `reset`: the page forgets its scan first. */
  delta: { reset: boolean; unit: string | null; points: number[][]; trail: number[][] };
}

class Ring {
  private readonly data: Float64Array;
  private next = 0;
  size = 0;
  constructor(
    private readonly capacity: number,
    private readonly width: number,
  ) {
    this.data = new Float64Array(capacity * width);
  }
  push(values: number[]): void {
    this.data.set(values, this.next * this.width);
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }
  clear(): void {
    this.next = 0;
    this.size = 0;
  }
  toArray(): number[][] {
    return ringOrder(this.next, this.size, this.capacity).map((i) =>
      Array.from(this.data.subarray(i * this.width, (i + 1) * this.width)),
    );
  }
}

export class ScanTracker {
  private readonly points = new Ring(SCAN_POINTS, 3);
  private readonly trail = new Ring(TRAIL_POINTS, 2);
  private pendingPoints: number[][] = [];
  private pendingTrail: number[][] = [];
  private reset = false;
  private scanning = false;
  private lastTrailS = Number.NEGATIVE_INFINITY;
  private unit: string | null = null;

  add(s: AlignmentSampleEvent, nowS: number): void {
    const { x, y } = s.positionUm;
    if (x === undefined || y === undefined) return;
    this.unit = s.signalUnit;
    const scanning = SCAN_MODES.has(s.mode);
    if (scanning && !this.scanning) {
      this.points.clear();
      this.pendingPoints = [];
      this.reset = true;
    }
    this.scanning = scanning;
    if (scanning) {
      this.points.push([x, y, s.signal]);
      if (this.pendingPoints.length >= SCAN_POINTS) this.pendingPoints.shift();
      this.pendingPoints.push([x, y, s.signal]);
    } else if (s.mode === "track" && nowS - this.lastTrailS >= TRAIL_EVERY_S) {
      this.lastTrailS = nowS;
      this.trail.push([x, y]);
      if (this.pendingTrail.length >= TRAIL_POINTS) this.pendingTrail.shift();
      this.pendingTrail.push([x, y]);
    }
  }

  full(): ScanMap["full"] {
    return { unit: this.unit, points: this.points.toArray(), trail: this.trail.toArray() };
  }

  takeDelta(): ScanMap["delta"] | undefined {
    if (!this.reset && this.pendingPoints.length === 0 && this.pendingTrail.length === 0) return undefined;
    const delta = {
      reset: this.reset,
      unit: this.unit,
      points: this.pendingPoints,
      trail: this.pendingTrail,
    };
    this.reset = false;
    this.pendingPoints = [];
    this.pendingTrail = [];
    return delta;
  }
}
