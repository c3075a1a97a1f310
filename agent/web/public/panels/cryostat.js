// The cryostat as time series: each temperature input and the set-point, the heater, and the
// compressor's state and pressures.
import { columns, fmt, makePlot } from "../plots.js";

export const name = "cryostat";
let tempPlot;
let heaterPlot;
let cryostat;
let compressor;
let tempFields = [];

export function init(state, _role, plots) {
  const devices = Object.entries(state.setup.devices ?? {});
  cryostat = devices.find(([, type]) => type === "lakeshore336")?.[0];
  compressor = devices.find(([, type]) => type === "sumitomo-f70")?.[0];
  const known = state.history.get(`telemetry/${cryostat}`)?.fields ?? {};
  const fromNow = Object.keys(state.telemetry(cryostat) ?? {});
  tempFields = [...new Set([...Object.keys(known), ...fromNow])].filter(
    (f) => f.endsWith("TempK") || f === "setpointK",
  );
  if (tempFields.length === 0) tempFields = ["sampleTempK", "setpointK"];
  const colours = ["#1f5fbf", "#1b6e3a", "#8a4fbf", "#555"];
  tempPlot = makePlot(
    document.getElementById("cryostat-plot"),
    tempFields.map((f, i) => ({
      label: f,
      stroke: f === "setpointK" ? "#999" : colours[i % colours.length],
      width: 1.5,
      ...(f === "setpointK" ? { dash: [5, 4] } : {}),
    })),
    { axes: [{}, { label: "K", size: 60 }] },
  );
  heaterPlot = makePlot(
    document.getElementById("heater-plot"),
    [
      { label: "heater %", stroke: "#a15c00", width: 1.5, scale: "%" },
      { label: "supply psig", stroke: "#1f5fbf", scale: "psig" },
      { label: "return psig", stroke: "#1b6e3a", scale: "psig" },
    ],
    {
      height: 130,
      scales: { "%": { range: [0, 100] } },
      axes: [{}, { scale: "%", label: "%", size: 50 }, { scale: "psig", side: 1, label: "psig", size: 50 }],
    },
  );
  plots.cryostat = tempPlot;
  plots.heater = heaterPlot;
}

export function render(state, changed) {
  const all = changed.has("*");
  if (cryostat && (all || changed.has(`telemetry/${cryostat}`))) {
    const v = state.telemetry(cryostat) ?? {};
    const e = document.getElementById("cryostat-now");
    e.textContent =
      tempFields.map((f) => `${f} ${fmt(v[f], 5)}`).join(" · ") +
      (v.heaterRange ? ` · heater ${v.heaterRange}` : "");
    e.dataset.sampleTempK = String(v.sampleTempK ?? "");
  }
  if (compressor && (all || changed.has(`telemetry/${compressor}`))) {
    const t = state.latest.get(`telemetry/${compressor}`);
    const v = t?.state === "ok" ? t.values : {};
    document.getElementById("compressor-now").textContent = !t
      ? "compressor: no reading yet"
      : t.state !== "ok"
        ? `compressor faulted: ${t.fault.message ?? t.fault.error}`
        : `compressor ${v.running ? "running" : "stopped"} (${v.state})${v.alarms?.length ? ` · alarms: ${v.alarms.join(", ")}` : ""}`;
  }
  if (cryostat && (all || changed.has(`history:telemetry/${cryostat}`)))
    tempPlot.setData(columns(state.history.get(`telemetry/${cryostat}`), tempFields));
  if (all || changed.has(`history:telemetry/${cryostat}`) || changed.has(`history:telemetry/${compressor}`)) {
    const [t, heater] = columns(state.history.get(`telemetry/${cryostat}`), ["heaterPercent"]);
    const c = state.history.get(`telemetry/${compressor}`);
    heaterPlot.setData([t, heater, alignTo(t, c, "supplyPsig"), alignTo(t, c, "returnPsig")]);
  }
}

/** A compressor column on the cryostat's time axis: the latest value at or before each time. */
function alignTo(t, group, field) {
  if (!group) return t.map(() => null);
  const values = group.fields[field] ?? [];
  let j = -1;
  return t.map((x) => {
    while (j + 1 < group.t.length && group.t[j + 1] <= x) j++;
    return j >= 0 ? values[j] : null;
  });
}
