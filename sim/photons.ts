/**
 * Time tags from the simulated source, pulse by pulse but without visiting every pulse:
 * pulses that give at least one detection are found by geometric skips.
 *
 * Photon number per pulse at the first lens keeps the mean μ and g2(0) = g
 * (../shared/BENCH-PHYSICS.md): P(2) = g·μ²/2, P(1) = μ − 2·P(2). Each photon independently
 * survives the path to the 50:50 splitter (transmission T, which keeps g2) and is detected with
 * the detector's efficiency; loss never creates pairs, so the measured g2(0) is the emitter's
 * (plus accidental pairs with dark counts). A detection happens an exponential delay (the
 * radiative lifetime) after the pulse, plus the detector's cable delay and a Gaussian jitter.
 * Dark counts are a Poisson process; each detector then applies its non-paralysable dead time.
 * Tags are emitted in time order, every tag of a chunk before its end time.
 */
import type { Rng } from "./random.js";

export interface DetectorChannel {
  channel: number;
  /** Detection probability of a photon that reaches this detector (0 when it is not counting). */
  efficiency: number;
  darkCps: number;
  delayPs: number;
}

export interface SourceState {
  /** Pulses arrive only while true (laser emitting, permitted and locked). */
  pulsing: boolean;
  periodPs: number;
  /** Mean photons per pulse at the first lens. */
  photonsPerPulse: number;
  g2Zero: number;
  /** Probability that a photon at the first lens reaches the splitter (coupling × set-up). */
  transmission: number;
  lifetimePs: number;
  jitterFwhmPs: number;
  deadTimePs: number;
  detectors: readonly DetectorChannel[];
  /** Laser sync to this channel every `syncDivider` pulses, if set. */
  syncChannel?: number | undefined;
  syncDivider: number;
}

/**
 * A pulsed two-detector source at 80 MHz (channels 1 and 2, SNSPD-like, no dark counts, g2(0) = 0):
 * the starting point that tests and benchmarks override with what they vary.
 */
export function pulsedSource(overrides: Partial<SourceState> = {}): SourceState {
  return {
    pulsing: true,
    periodPs: 12_500,
    photonsPerPulse: 0.5,
    g2Zero: 0,
    transmission: 0.01,
    lifetimePs: 600,
    jitterFwhmPs: 35,
    deadTimePs: 40_000,
    detectors: [
      { channel: 1, efficiency: 0.85, darkCps: 0, delayPs: 0 },
      { channel: 2, efficiency: 0.85, darkCps: 0, delayPs: 0 },
    ],
    syncChannel: undefined,
    syncDivider: 1000,
    ...overrides,
  };
}

/** Latency of every detection after its pulse, so jitter never puts a tag before its pulse. */
export const DETECTION_LATENCY_PS = 5000;
const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

export interface TagBatch {
  channels: Uint8Array;
  timesPs: Float64Array;
}

export class TagGenerator {
  /** Tags already generated that fall after the end of the chunk that produced them. */
  private pending: Array<[number, number]> = [];
  private lastAcceptedPs = new Map<number, number>();
  /** Tags that jitter would have put before their chunk's start (never expected; counted). */
  lateTags = 0;

  constructor(private readonly rng: Rng) {}

  /** Every tag with time in [t0Ps, t1Ps), for pulses in [t0Ps, t1Ps) and earlier pending ones. */
  generate(t0Ps: number, t1Ps: number, s: SourceState): TagBatch {
    const events: Array<[number, number]> = this.pending;
    this.pending = [];
    if (s.pulsing) {
      this.pulses(t0Ps, t1Ps, s, events);
      if (s.syncChannel !== undefined) {
        const every = s.periodPs * s.syncDivider;
        for (let t = Math.ceil(t0Ps / every) * every; t < t1Ps; t += every) events.push([t, s.syncChannel]);
      }
    }
    for (const d of s.detectors) {
      const n = this.rng.poisson(d.darkCps * (t1Ps - t0Ps) * 1e-12);
      for (let i = 0; i < n; i++)
        events.push([Math.floor(t0Ps + this.rng.uniform() * (t1Ps - t0Ps)), d.channel]);
    }
    events.sort((a, b) => a[0] - b[0]);
    const channels: number[] = [];
    const times: number[] = [];
    for (const event of events) {
      const [t, channel] = event;
      if (t >= t1Ps) {
        this.pending.push(event);
        continue;
      }
      if (t < t0Ps) {
        this.lateTags++;
        continue;
      }
      if (channel !== s.syncChannel) {
        const last = this.lastAcceptedPs.get(channel);
        if (last !== undefined && t - last < s.deadTimePs) continue;
        this.lastAcceptedPs.set(channel, t);
      }
      channels.push(channel);
      times.push(t);
    }
    return { channels: Uint8Array.from(channels), timesPs: Float64Array.from(times) };
  }

  private pulses(t0Ps: number, t1Ps: number, s: SourceState, out: Array<[number, number]>): void {
    const perPhoton = s.detectors.map((d) => 0.5 * s.transmission * d.efficiency);
    const q = perPhoton.reduce((a, b) => a + b, 0);
    const mu = s.photonsPerPulse;
    const p2 = (s.g2Zero * mu * mu) / 2;
    const p1 = mu - 2 * p2;
    const pEvent = p1 * q + p2 * (1 - (1 - q) ** 2);
    if (pEvent <= 0) return;
    const sigma = s.jitterFwhmPs / FWHM_PER_SIGMA;
    const detect = (pulsePs: number, which: number) => {
      const d = s.detectors[which]!;
      const t =
        pulsePs +
        DETECTION_LATENCY_PS +
        d.delayPs +
        this.rng.exponential(s.lifetimePs) +
        sigma * this.rng.normal();
      out.push([Math.round(t), d.channel]);
    };
    /** Which detector a detected photon went to, in proportion to their probabilities. */
    const detector = () => {
      let u = this.rng.uniform() * q;
      let which = 0;
      while (which < perPhoton.length - 1 && u >= perPhoton[which]!) u -= perPhoton[which++]!;
      return which;
    };
    // Two photons, at least one detected: exactly one (2q(1 − q)) or both (q²), drawn directly —
    // rejection sampling would loop for ever when the coupling is near zero (after a knock).
    const pBothGivenAny = (q * q) / (2 * q * (1 - q) + q * q);
    const first = Math.ceil(t0Ps / s.periodPs);
    const last = Math.ceil(t1Ps / s.periodPs) - 1;
    for (let k = first - 1 + this.rng.geometric(pEvent); k <= last; k += this.rng.geometric(pEvent)) {
      const pulsePs = k * s.periodPs;
      if (this.rng.uniform() * pEvent < p1 * q)
        detect(pulsePs, detector()); // one photon, detected
      else {
        detect(pulsePs, detector());
        if (this.rng.uniform() < pBothGivenAny) detect(pulsePs, detector());
      }
    }
  }
}
