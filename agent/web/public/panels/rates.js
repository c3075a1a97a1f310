// Count rates per detector from the tagger's telemetry (each second), saturation marked: at or
// above safety.detectorMaxCps, or when the last period's rates said so (dead time).
import { columns, el, fmt, makePlot } from "../plots.js";

export const name = "rates";
let plot;
let tagger;

const COLOURS = ["#1f5fbf", "#b3261e", "#1b6e3a", "#8a4fbf"];

export function init(state, _role, plots) {
  tagger = Object.entries(state.setup.devices ?? {}).find(([, type]) => type.endsWith("-tagger"))?.[0];
  const detectors = state.setup.detectors ?? [];
  plot = makePlot(
    document.getElementById("rates-plot"),
    [
      ...detectors.map((d, i) => ({ label: d, stroke: COLOURS[i % COLOURS.length], width: 1.5 })),
      { label: "saturation", stroke: "#b3261e", dash: [6, 4] },
    ],
    // Logarithmic: tens of kcps beside a saturation of millions.
    {
      scales: {
        y: {
          distr: 3,
          range: (_u, min, max) => [
            10 ** Math.floor(Math.log10(Math.max(min, 1))),
            10 ** Math.ceil(Math.log10(Math.max(max, 10))),
          ],
        },
      },
      axes: [{}, { label: "counts/s", size: 70 }],
    },
  );
  plots.rates = plot;
}

export function render(state, changed) {
  if (!tagger) return;
  const all = changed.has("*");
  if (all || changed.has(`telemetry/${tagger}`) || changed.has("measurement/rates")) table(state);
  if (all || changed.has(`history:telemetry/${tagger}`)) {
    const detectors = state.setup.detectors ?? [];
    const [t, ...series] = columns(
      state.history.get(`telemetry/${tagger}`),
      detectors.map((d) => `${d}Cps`),
    );
    plot.setData([t, ...series, t.map(() => state.setup.detectorMaxCps)]);
  }
}

function table(state) {
  const values = state.telemetry(tagger) ?? {};
  const period = state.latest.get("measurement/rates")?.detectors ?? {};
  const max = state.setup.detectorMaxCps;
  document.querySelector("#rates tbody").replaceChildren(
    ...(state.setup.detectors ?? []).map((d) => {
      const cps = values[`${d}Cps`];
      const saturated = (typeof cps === "number" && cps >= max) || period[d]?.saturated === true;
      const tr = el("tr");
      tr.dataset.detector = d;
      const rate = el("td", `${fmt(cps, 4)} cps`, saturated ? "saturated" : "");
      rate.dataset.value = String(cps ?? "");
      tr.append(el("td", d), rate, el("td", saturated ? "SATURATED" : "", "saturated"));
      return tr;
    }),
  );
}
