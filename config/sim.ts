/**
 * Parameters of the simulated bench. Defaults sit inside the ranges of ../shared/BENCH-PHYSICS.md;
 * the comment on each says which range. Every random source is seeded from `seed`.
 */
import { z } from "zod";
import { topicSafeName } from "./common.js";

const num = (def: number, min = 0, max = Number.POSITIVE_INFINITY) =>
  z.number().min(min).max(max).default(def);

export const simFaultNames = [
  "compressor-trip",
  "laser-unlock",
  "fibre-knock",
  "detector-latch",
  "garbled-reply",
  "device-unplugged",
  "door-open",
  "detector-over-bright",
  "line-broadening",
] as const;
export const simFaultSchema = z.enum(simFaultNames);
export type SimFaultName = z.infer<typeof simFaultSchema>;

export const simFaultEventSchema = z.strictObject({
  /** Simulated seconds after start when the fault is injected. */
  atS: z.number().min(0),
  fault: simFaultSchema,
  /** Device name for detector-latch, detector-over-bright, garbled-reply and device-unplugged. */
  device: topicSafeName.optional(),
  /** Seconds until the fault clears by itself (unplugged device plugged back, unlock relocks; a compressor trip's cause, which a reset cannot clear meanwhile). */
  durationS: z.number().positive().optional(),
  /** fibre-knock: displacement of the fibre, µm (knocks move the spot by tens of µm). */
  knockUm: z.number().optional(),
  /** detector-over-bright: counts of the light flooding the detector at full efficiency, cps (default 20 M). */
  floodCps: z.number().positive().optional(),
  /** line-broadening: the emitter's linewidth meanwhile, MHz (default 3000). */
  linewidthMHz: z.number().positive().optional(),
});
export type SimFaultEvent = z.infer<typeof simFaultEventSchema>;

const xyz = (x: number, y: number, z0: number) =>
  z.strictObject({ x: num(x, -1e4, 1e4), y: num(y, -1e4, 1e4), z: num(z0, -1e4, 1e4) }).prefault({});

export const simSchema = z
  .strictObject({
    seed: z
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    emitter: z
      .strictObject({
        /** Mode-locked Ti:Sapph 76–80 MHz. */
        repetitionRateMhz: num(80, 0.001, 1000),
        /** Photons per pulse at the first lens at saturation (0.2–0.8). */
        saturatedPhotonsPerPulse: num(0.5, 0, 1),
        /** Excitation power at which emission reaches 1 − 1/e of saturation, mW. */
        saturationPowerMw: num(1, 1e-6),
        /** 0.001–0.05 for good sources. */
        g2Zero: num(0.02, 0, 1),
        /** Radiative lifetime, 0.1–1 ns for quantum dots. */
        lifetimeNs: num(0.6, 0.01, 100),
      })
      .prefault({}),
    optics: z
      .strictObject({
        /** Peak fibre-coupling efficiency η₀ (fibre-coupled brightness 0.05–0.6 at 0.5 photons/pulse). */
        peakCoupling: num(0.6, 0, 1),
        /** 1/e² intensity mode radius at the fibre face, ≈ 2.5 µm for 780–930 nm single-mode fibre. */
        modeRadiusUm: num(2.5, 0.1),
        /** Rayleigh range of the focus for the axial overlap 1/(1+(z/z_R)²), µm (π w²/λ ≈ 21 µm). */
        rayleighRangeUm: num(21, 0.1),
        /** Stage coordinates where the fibre sits at the start (coupling peak), µm. */
        peakPositionUm: xyz(50, 50, 50),
        /** Transmission from fibre to detectors (filters, splices, excluding the 50:50 splitter). */
        setupTransmission: num(0.01, 0, 1),
        /** Fraction of the laser power that the alignment photodiode sees when perfectly coupled. */
        monitorTapFraction: num(0.1, 0, 1),
      })
      .prefault({}),
    drift: z
      .strictObject({
        /** Lab temperature swing × 0.1–1 µm/K: amplitude of the slow thermal cycle, µm. */
        thermalAmplitudeUm: num(0.5, 0, 100),
        thermalPeriodS: num(1200, 1),
        /** Random walk of the fibre position, µm/√s. */
        randomWalkUmPerSqrtS: num(0.002, 0, 10),
      })
      .prefault({}),
    /** The simulated stage's mechanics: open-loop piezo (hysteresis, creep) or stepper (steps, backlash). */
    stageMechanics: z.enum(["piezo", "stepper"]).default("piezo"),
    stepper: z
      .strictObject({
        /** Smallest step, µm (microstepping). */
        stepUm: num(0.1, 0.001, 10),
        /** Play taken up after each reversal, µm (a few µm). */
        backlashUm: num(3, 0, 50),
      })
      .prefault({}),
    piezo: z
      .strictObject({
        /** Open-loop hysteresis, fraction of travel (10–15 %). */
        hysteresisFraction: num(0.12, 0, 0.5),
        /** Creep after a step, fraction of the step per decade of time (~1 %). */
        creepPerDecade: num(0.01, 0, 0.1),
      })
      .prefault({}),
    detectors: z
      .strictObject({
        /** SNSPD 0.8–0.95 at full bias. */
        efficiency: num(0.85, 0, 1),
        /** SNSPD 1–100 cps. */
        darkCps: num(30, 0),
        /** SNSPD recovery 20–100 ns (non-paralysable). */
        deadTimeNs: num(40, 0, 10_000),
        /** SNSPD 15–50 ps FWHM. */
        jitterFwhmPs: num(35, 0, 10_000),
        /** Switching current: above it the nanowire latches, µA. */
        switchingCurrentUa: num(12, 0.1),
        /** Bias at which efficiency reaches half its plateau, µA. */
        halfEfficiencyBiasUa: num(6, 0),
        /** The stage temperature above which the nanowire goes normal and stops counting, K (3–4 K). */
        criticalTempK: num(3.5, 0),
        /** Monitor voltage per µA while latched (bias-tee DC port through the monitor amplifier), mV/µA. */
        latchedMonitorMvPerUa: num(5, 0),
        /** Cable delay per detector, ps, by detector device name. */
        delayPs: z.record(z.string(), z.number()).default({}),
      })
      .prefault({}),
    cryostat: z
      .strictObject({
        /** Cold-plate temperature with the compressor running, K. */
        baseTempK: num(2.5, 0.1, 400),
        ambientK: num(295, 1, 400),
        /** Stage time constant towards base while cooling, s (minutes). */
        coolTimeConstantS: num(240, 1),
        /** Warm-up time constant after a compressor trip, s: a trip warms by several K within minutes. */
        warmTimeConstantS: num(6000, 1),
        /** Heater loop time constant towards the set-point, s. */
        heaterTimeConstantS: num(60, 1),
      })
      .prefault({}),
    compressor: z
      .strictObject({
        /** 1.7–2.1 MPa running (gauge, psig as the F-70 reports): ~ 290 psig. */
        supplyPsig: num(290, 0, 500),
        /** 0.5–0.8 MPa running: ~ 95 psig. */
        returnPsig: num(95, 0, 500),
        /** 1.5–1.7 MPa stopped: ~ 235 psig. */
        staticPsig: num(235, 0, 500),
      })
      .prefault({}),
    initial: z
      .strictObject({
        /** The simulated laser starts emitting so a new user sees photons at once. */
        laserEmission: z.boolean().default(true),
        laserPowerMw: num(1, 0),
        detectorBiasUa: num(9, 0),
        /** Sample (emitter) set-point held by heater output 1, K. */
        sampleSetpointK: num(4, 0),
        /** Stage position at start, µm (a few µm off the peak: the aligner's job). */
        stagePositionUm: xyz(50.5, 49.5, 50),
      })
      .prefault({}),
    /**
     * What each gpio-interlock device is wired to on the simulated bench: `door` (a switch, closed
     * until a door-open fault) or `cryostat-ok` (the cryostat's OK relay: compressor running and the
     * detector stage below the detectors' critical temperature).
     */
    interlockSignals: z.record(z.string(), z.enum(["door", "cryostat-ok"])).default({}),
    /**
     * What each ADC channel of a power monitor measures on the simulated bench, by device and
     * channel name: `coupled-power` (the alignment photodiode behind the fibre) or `laser-power`
     * (a pick-off of the laser output). Unlisted channels read 0 V.
     */
    adcSignals: z
      .record(z.string(), z.record(z.string(), z.enum(["coupled-power", "laser-power"])))
      .default({}),
    /** The emitter's spectral line, as a scanning Fabry–Pérot and a wavemeter see it. */
    spectral: z
      .strictObject({
        /** Centre wavelength, nm (InAs quantum dots 900–950 nm). */
        wavelengthNm: num(930, 100, 5000),
        /** FWHM, MHz: 265 MHz lifetime-limited at 0.6 ns, ~0.5–1 GHz with dephasing under non-resonant pumping. */
        linewidthMHz: num(800, 0, 1e6),
        /** Spectral diffusion: r.m.s. wander of the centre, GHz, and its correlation time, s. */
        wanderGHz: num(0.3, 0, 1000),
        wanderTimeS: num(30, 0.01),
        /** The Fabry–Pérot's photodiode on resonance, V, and its noise r.m.s., V. */
        peakSignalV: num(1, 0, 6),
        noiseV: num(0.005, 0, 1),
      })
      .prefault({}),
    tagger: z
      .strictObject({
        /** Simulated seconds per frame; a frame also goes out empty as a heartbeat. */
        framePeriodS: num(0.01, 0.0001, 0.1),
      })
      .prefault({}),
    /** Scripted faults, for demos and end-to-end tests. */
    faults: z.array(simFaultEventSchema).default([]),
  })
  .prefault({});

export type SimConfig = z.infer<typeof simSchema>;
