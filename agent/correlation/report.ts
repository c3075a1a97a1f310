/** What `photon-bench analyze` prints: a summary a person reads, JSON, and CSV of g2(τ). */

import type { Analysis } from "./analyze.js";
import { type CorrelationHistogram, normalise } from "./cross-correlation.js";

const BARS = " ▁▂▃▄▅▆▇█";
const ZERO_DELAY_FROM = { fit: "(fitted)", given: "(given)", none: "(τ = 0: none found)" } as const;
const PLOT_COLUMNS = 72;
const PLOT_ROWS = 8;

/** The JSON object: every field of the analysis except the histogram itself, which goes to CSV. */
export function analysisJson(a: Analysis): Record<string, unknown> {
  const { histogram, ...rest } = a;
  return {
    ...rest,
    histogram: { windowPs: histogram.windowPs, binPs: histogram.binPs, bins: histogram.counts.length },
  };
}

export function analysisCsv(h: CorrelationHistogram): string {
  const g2 = normalise(h);
  const lines = ["tau_ps,counts,g2"];
  for (let i = 0; i < h.counts.length; i++)
    lines.push(`${-h.windowPs + i * h.binPs},${h.counts[i]},${g2[i]!.toPrecision(6)}`);
  return `${lines.join("\n")}\n`;
}

/** g2(τ) around zero delay as rows of block characters, τ increasing to the right. */
export function terminalPlot(a: Analysis): string {
  const h = a.histogram;
  const g2 = normalise(h);
  const g = a.g2;
  // Pulsed: six periods each side. CW: the fitted feature (its width and jitter) well clear of the
  // plot's edges, and at least 20 bins each side.
  const span = Math.min(
    h.windowPs,
    g.kind === "pulsed"
      ? 6 * g.periodPs
      : Math.max(20 * h.binPs, g.fit ? 6 * g.fit.widthPs + 6 * g.fit.jitterSigmaPs : 0),
  );
  const centre = g.kind === "cw" && g.fit ? g.fit.zeroDelayPs : g.zeroDelayPs;
  const from = Math.max(0, Math.floor((centre - span + h.windowPs) / h.binPs));
  const to = Math.min(h.counts.length, Math.ceil((centre + span + h.windowPs) / h.binPs));
  const per = Math.max(1, Math.ceil((to - from) / PLOT_COLUMNS));
  const columns: number[] = [];
  for (let i = from; i + per <= to; i += per) {
    let sum = 0;
    let n = 0;
    for (let j = i; j < Math.min(to, i + per); j++, n++) sum += g2[j]!;
    columns.push(sum / n);
  }
  const top = Math.max(...columns, 1e-9);
  const rows: string[] = [];
  for (let r = PLOT_ROWS - 1; r >= 0; r--) {
    const line = columns
      .map((v) => {
        const level = (v / top) * PLOT_ROWS - r;
        return level >= 1 ? BARS[8] : level <= 0 ? " " : BARS[Math.round(level * 8)];
      })
      .join("");
    const label = r === PLOT_ROWS - 1 ? top.toFixed(2).padStart(6) : "      ";
    rows.push(`${label} │${line}`);
  }
  const left = ((centre - span) / 1000).toFixed(1);
  const right = ((centre + span) / 1000).toFixed(1);
  rows.push(`       └${"─".repeat(columns.length)}`);
  rows.push(
    `        ${left} ns${" ".repeat(Math.max(1, columns.length - left.length - right.length - 6))}${right} ns`,
  );
  return rows.join("\n");
}

export function analysisText(a: Analysis): string {
  const g = a.g2;
  const lines = [
    `${a.file}`,
    `  ${a.format} ${a.recordType}, ${a.records.toLocaleString("en")} records, ${a.durationS.toFixed(4)} s` +
      (a.syncRateHz ? `, sync ${(a.syncRateHz / 1e6).toFixed(3)} MHz` : ""),
    ...Object.entries(a.photons).map(([ch, n]) => {
      const rate = a.rates[ch]!;
      const bright = a.brightness?.[ch];
      return (
        `  channel ${ch}: ${n.toLocaleString("en")} photons, ${(rate.rateCps / 1000).toFixed(1)} kcps` +
        (rate.correctedRateCps !== undefined
          ? `, ${(rate.correctedRateCps / 1000).toFixed(1)} kcps dead-time corrected${rate.saturated ? " — SATURATED" : ""}`
          : "") +
        (bright ? `, ${bright.detectedPerPulse.toExponential(3)} detected per pulse` : "") +
        (bright?.atFirstLensPerPulse !== undefined
          ? ` (${bright.atFirstLensPerPulse.toFixed(4)} at the first lens)`
          : "")
      );
    }),
    ...Object.entries(a.lifetime ?? {}).map(
      ([ch, f]) =>
        `  channel ${ch} against the sync: peak at ${(f.peakPs / 1000).toFixed(3)} ns, FWHM ${f.fwhmPs.toFixed(0)} ps` +
        (f.lifetimePs !== undefined
          ? `, lifetime ${(f.lifetimePs / 1000).toFixed(3)} ± ${(f.lifetimeErrorPs! / 1000).toFixed(3)} ns`
          : ", tail too short to fit a lifetime"),
    ),
    ...a.warnings.map((w) => `  warning: ${w}`),
    "",
    g.kind === "pulsed"
      ? `  g2(0) = ${g.g2Zero.toFixed(4)} ± ${g.g2ZeroError.toFixed(4)}   (channels ${g.channels[0]} → ${g.channels[1]}, pulsed, ` +
        `period ${(g.periodPs / 1000).toFixed(4)} ns, zero delay ${(g.zeroDelayPs / 1000).toFixed(3)} ns, ` +
        `${g.centreArea} coincidences against a mean of ${g.sidePeakMeanArea.toFixed(1)} in ${g.sidePeaks} side peaks)`
      : `  g2(0) = ${g.g2Zero.toFixed(4)} ± ${g.g2ZeroError.toFixed(4)}   (channels ${g.channels[0]} → ${g.channels[1]}, CW, as measured in a ${g.binPs} ps bin ` +
        `centred on the zero delay ${(g.zeroDelayPs / 1000).toFixed(3)} ns ${ZERO_DELAY_FROM[g.zeroDelayFrom]}, ` +
        `${g.centreCounts} pairs against ${g.accidentalsPerBin.toFixed(1)} accidentals)` +
        (g.fit
          ? `\n  fit g2(τ) = c·[1 − a·e^(−|τ−τ0|/t) ⊛ jitter]: τ0 = ${(g.fit.zeroDelayPs / 1000).toFixed(4)} ± ${(g.fit.zeroDelayErrorPs / 1000).toFixed(4)} ns, ` +
            `a = ${g.fit.amplitude.toFixed(4)} ± ${g.fit.amplitudeError.toFixed(4)}, t = ${(g.fit.widthPs / 1000).toFixed(4)} ± ${(g.fit.widthErrorPs / 1000).toFixed(4)} ns, ` +
            (g.fit.jitterResolved
              ? `σ = ${g.fit.jitterSigmaPs.toFixed(0)} ± ${g.fit.jitterSigmaErrorPs.toFixed(0)} ps, `
              : `σ not resolved (too little shape at the tip in these counts), `) +
            `c = ${g.fit.baseline.toFixed(4)} ± ${g.fit.baselineError.toFixed(4)}` +
            `\n  g2(0) = ${g.fit.g2Zero.toFixed(4)} ± ${g.fit.g2ZeroError.toFixed(4)}   from the fit, 1 − a: timing jitter removed, background not`
          : "") +
        (g.g2ZeroCorrected !== undefined
          ? `\n  g2(0) = ${g.g2ZeroCorrected.toFixed(4)} ± ${g.g2ZeroCorrectedError!.toFixed(4)}   background corrected, ρ = ${g.rho!.map((r) => r.toFixed(3)).join(", ")}`
          : ""),
    "",
    terminalPlot(a),
  ];
  return `${lines.join("\n")}\n`;
}
