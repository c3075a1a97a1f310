// The live g2(τ): the latest period's coincidence histogram, g2(0) with its error, and the
// trend of g2(0) over the run.
import { columns, el, fmt, makePlot } from "../plots.js";

export const name = "g2";
let histogramPlot;
let trendPlot;
let shownTs;

/** The histogram's counts from its little-endian uint32 base64 (as measurement/<name> carries them). */
export function decodeCounts(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return Array.from(new Uint32Array(bytes.buffer, 0, bytes.length >> 2));
}

function histogramName(state) {
  return state.setup.histograms?.[0];
}

export function init(state, _role, plots) {
  document.getElementById("g2-name").textContent = histogramName(state) ?? "(no histogram configured)";
  histogramPlot = makePlot(
    document.getElementById("g2-plot"),
    [{ label: "coincidences per bin", stroke: "#1f5fbf", width: 1 }],
    {
      time: false,
      xLabel: "τ (ns)",
      axes: [{ label: "τ = t(b) − t(a), ns" }, { label: "coincidences", size: 60 }],
    },
  );
  trendPlot = makePlot(
    document.getElementById("g2-trend"),
    [
      { label: "g2(0)", stroke: "#b3261e", width: 1.5, points: { show: true, size: 4 } },
      { label: "− error", stroke: "#b3261e55", dash: [4, 4] },
      { label: "+ error", stroke: "#b3261e55", dash: [4, 4] },
    ],
    { height: 130 },
  );
  plots.g2 = histogramPlot;
  plots.g2Trend = trendPlot;
}

export function render(state, changed) {
  const hName = histogramName(state);
  if (!hName) return;
  const key = `measurement/${hName}`;
  if (changed.has("*") || changed.has(key)) showHistogram(state.latest.get(key));
  if (changed.has("*") || changed.has(`history:${key}`) || changed.has("run")) showTrend(state, key);
}

function showHistogram(m) {
  if (!m || m.ts === shownTs) return;
  shownTs = m.ts;
  const g2 = m.g2 ?? {};
  const zero = document.getElementById("g2-zero");
  const error = document.getElementById("g2-error");
  zero.textContent = fmt(g2.g2Zero, 3);
  zero.title = g2.error ?? "";
  error.textContent = fmt(g2.g2ZeroError, 2);
  zero.dataset.value = String(g2.g2Zero ?? "");
  zero.dataset.ts = m.ts;
  const meta = document.getElementById("g2-meta");
  meta.replaceChildren(
    el(
      "span",
      ` ${g2.kind ?? ""} · ${m.coincidences} coincidences in ${m.integrationS} s · ${new Date(m.ts).toLocaleTimeString()}`,
    ),
    ...(g2.error ? [el("div", `no g2(0) this period: ${g2.error}`, "warning")] : []),
  );
  const h = m.histogram;
  if (!h?.countsBase64) return;
  const counts = decodeCounts(h.countsBase64);
  const tauNs = counts.map((_, k) => (h.firstTauPs + (k + 0.5) * h.binPs) / 1000);
  histogramPlot.setData([tauNs, counts]);
}

function showTrend(state, key) {
  const [t, g, e] = columns(state.history.get(key), ["g2Zero", "g2ZeroError"]);
  const run = state.latest.get("run");
  const from = run?.state === "running" ? Date.parse(run.startedAt) / 1000 : Number.NEGATIVE_INFINITY;
  const keep = t.map((x) => x >= from);
  const pick = (a) => a.filter((_, i) => keep[i]);
  const lo = g.map((v, i) => (v === null || e[i] === null ? null : v - e[i]));
  const hi = g.map((v, i) => (v === null || e[i] === null ? null : v + e[i]));
  trendPlot.setData([pick(t), pick(g), pick(lo), pick(hi)]);
}
