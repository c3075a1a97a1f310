// The aligner: a heat map of its last search/peak scan with the tracking trail over it, the
// fraction of peak and the mode over time, and (for an operator) its modes and jog buttons
// that stay within the stage's soft limits.
import { commandButton } from "../commands.js";
import { columns, el, fmt, makePlot } from "../plots.js";

export const name = "aligner";
const MODES = ["idle", "search", "peak", "track", "reacquire", "blocked"];
let plot;
let stagePlot;
let operator = false;
let step;
const jogButtons = [];

export function init(state, role, plots) {
  operator = role === "operator";
  step = state.setup.jogStepsUm?.[1] ?? 1;
  plot = makePlot(
    document.getElementById("aligner-plot"),
    [
      { label: "fraction of peak", stroke: "#1f5fbf", width: 1.5, scale: "f" },
      { label: "mode", stroke: "#999", scale: "mode", paths: uPlot.paths.stepped({ align: 1 }) },
    ],
    {
      height: 130,
      scales: { f: { range: [0, 1.1] }, mode: { range: [0, MODES.length - 1] } },
      axes: [
        {},
        { scale: "f", size: 50 },
        {
          scale: "mode",
          side: 1,
          size: 70,
          splits: () => MODES.map((_m, i) => i),
          values: (_u, ticks) => ticks.map((t) => MODES[t] ?? ""),
        },
      ],
    },
  );
  plots.aligner = plot;
  const axes = Object.keys(state.setup.stage?.limitsUm ?? {});
  stagePlot = makePlot(
    document.getElementById("stage-plot"),
    axes.map((axis, i) => ({
      label: `${axis} µm`,
      stroke: ["#1f5fbf", "#b3261e", "#1b6e3a"][i % 3],
      width: 1.5,
    })),
    { height: 130, axes: [{}, { label: "µm", size: 60 }] },
  );
  plots.stage = stagePlot;
  if (operator && state.setup.stage) controls(state);
}

function controls(state) {
  const box = document.getElementById("aligner-controls");
  const modes = el("div");
  for (const mode of ["search", "peak", "track", "stop"])
    modes.append(commandButton(mode[0].toUpperCase() + mode.slice(1), `alignment/${mode}`, {}));
  const steps = el("div", "jog step: ");
  const select = el("select");
  select.id = "jog-step";
  for (const s of state.setup.jogStepsUm) {
    const o = el("option", `${s} µm`);
    o.value = String(s);
    o.selected = s === step;
    select.append(o);
  }
  select.addEventListener("change", () => {
    step = Number(select.value);
    updateJog(state);
  });
  steps.append(select);
  const jog = el("div");
  const device = state.setup.stage.name;
  for (const axis of Object.keys(state.setup.stage.limitsUm))
    for (const sign of [-1, 1]) {
      const b = commandButton(`${axis} ${sign < 0 ? "−" : "+"}`, "stage/jog", () => ({
        device,
        axis,
        deltaUm: sign * step,
      }));
      b.dataset.axis = axis;
      b.dataset.sign = String(sign);
      jogButtons.push(b);
      jog.append(b);
    }
  box.append(
    modes,
    steps,
    jog,
    el("div", "jog with the aligner stopped, or tracking pulls the stage back", "small muted"),
  );
}

/** The stage's position per axis: its own reading, else where the aligner last put it. */
function position(state) {
  const v = state.telemetry(state.setup.stage?.name) ?? {};
  const a = state.latest.get("alignment")?.positionUm ?? {};
  return (axis) => v[`${axis}PositionUm`] ?? a[axis];
}

/** A jog button is enabled only if its step stays within the soft limits. */
function updateJog(state) {
  const at = position(state);
  for (const b of jogButtons) {
    const limits = state.setup.stage.limitsUm[b.dataset.axis];
    const target = at(b.dataset.axis) + Number(b.dataset.sign) * step;
    b.disabled = !(target >= limits.minUm && target <= limits.maxUm);
    b.title = b.disabled
      ? `beyond the soft limit ${limits.minUm}–${limits.maxUm} µm`
      : `move ${b.dataset.axis} by ${Number(b.dataset.sign) * step} µm`;
  }
}

export function render(state, changed) {
  const all = changed.has("*");
  if (all || changed.has("alignment")) {
    const a = state.latest.get("alignment");
    document.getElementById("aligner-mode").textContent = a ? a.mode : "";
    const signal =
      a?.signalMw !== undefined
        ? `${fmt(a.signalMw, 3)} mW`
        : a?.signalCps !== undefined
          ? `${fmt(a.signalCps, 3)} cps`
          : "–";
    const pos = a
      ? Object.entries(a.positionUm)
          .map(([k, v]) => `${k} ${fmt(v, 4)}`)
          .join(", ")
      : "–";
    const e = document.getElementById("aligner-now");
    e.textContent = a
      ? `${(100 * a.fractionOfPeak).toFixed(1)} % of peak · ${signal} · at ${pos} µm${a.note ? ` · ${a.note}` : ""}`
      : "no aligner state yet";
  }
  if (
    jogButtons.length > 0 &&
    (all || changed.has("alignment") || changed.has(`telemetry/${state.setup.stage?.name}`))
  )
    updateJog(state);
  if (
    all ||
    changed.has("scan") ||
    changed.has("alignment") ||
    changed.has(`telemetry/${state.setup.stage?.name}`)
  )
    drawMap(state);
  if (all || changed.has("history:alignment"))
    plot.setData(columns(state.history.get("alignment"), ["fractionOfPeak", "modeIndex"]));
  const stage = state.setup.stage;
  if (stage && (all || changed.has(`history:telemetry/${stage.name}`))) {
    const fields = Object.keys(stage.limitsUm).map((axis) => `${axis}PositionUm`);
    stagePlot.setData(columns(state.history.get(`telemetry/${stage.name}`), fields));
  }
}

function drawMap(state) {
  const canvas = document.getElementById("scan-map");
  const ctx = canvas.getContext("2d");
  const { width: W, height: H } = canvas;
  ctx.fillStyle = "#111";
  ctx.fillRect(0, 0, W, H);
  const limits = state.setup.stage?.limitsUm;
  if (!limits?.x || !limits?.y) return;
  const where = position(state);
  const at = { x: where("x"), y: where("y") };
  const view = viewOf(state.scan, at, limits);
  const px = (x) => ((x - view.x0) / view.span) * W;
  const py = (y) => H - ((y - view.y0) / view.span) * H;
  const points = state.scan.points;
  let max = 0;
  for (const p of points) max = Math.max(max, p[2]);
  // A cell the size of the search's step, as far as the points tell (a 2 µm grid over 90 µm: 45 cells).
  const cell = Math.max(3, (W / view.span) * Math.min(2, view.span / 45));
  for (const [x, y, v] of points) {
    ctx.fillStyle = ramp(max > 0 ? v / max : 0);
    ctx.fillRect(px(x) - cell / 2, py(y) - cell / 2, cell, cell);
  }
  const trail = state.scan.trail;
  if (trail.length > 1) {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(px(trail[0][0]), py(trail[0][1]));
    for (const [x, y] of trail.slice(1)) ctx.lineTo(px(x), py(y));
    ctx.stroke();
  }
  if (at?.x !== undefined && at?.y !== undefined) {
    ctx.strokeStyle = "#f33";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(px(at.x) - 8, py(at.y));
    ctx.lineTo(px(at.x) + 8, py(at.y));
    ctx.moveTo(px(at.x), py(at.y) - 8);
    ctx.lineTo(px(at.x), py(at.y) + 8);
    ctx.stroke();
  }
  ctx.fillStyle = "#ccc";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(`x ${view.x0.toFixed(1)}–${(view.x0 + view.span).toFixed(1)} µm`, 6, H - 6);
  ctx.save();
  ctx.translate(12, H - 20);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(`y ${view.y0.toFixed(1)}–${(view.y0 + view.span).toFixed(1)} µm`, 0, 0);
  ctx.restore();
  canvas.dataset.points = String(points.length);
  canvas.dataset.trail = String(trail.length);
  canvas.title = `x ${limits.x.minUm}–${limits.x.maxUm} µm, y ${limits.y.minUm}–${limits.y.maxUm} µm; ${points.length} scan points, peak ${fmt(max, 3)} ${state.scan.unit ?? ""}`;
}

/** A square view around the scan, the trail and the stage (at least MIN_SPAN_UM, within the soft limits). */
const MIN_SPAN_UM = 10;
function viewOf(scan, at, limits) {
  const xs = [
    ...scan.points.map((p) => p[0]),
    ...scan.trail.map((p) => p[0]),
    ...(at?.x !== undefined ? [at.x] : []),
  ];
  const ys = [
    ...scan.points.map((p) => p[1]),
    ...scan.trail.map((p) => p[1]),
    ...(at?.y !== undefined ? [at.y] : []),
  ];
  const full = Math.max(limits.x.maxUm - limits.x.minUm, limits.y.maxUm - limits.y.minUm);
  if (xs.length === 0) return { x0: limits.x.minUm, y0: limits.y.minUm, span: full };
  const [xMin, xMax, yMin, yMax] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.min(full, Math.max(MIN_SPAN_UM, 1.15 * Math.max(xMax - xMin, yMax - yMin)));
  return { x0: (xMin + xMax) / 2 - span / 2, y0: (yMin + yMax) / 2 - span / 2, span };
}

/** Dark blue → yellow, for a signal from 0 to the scan's peak. */
function ramp(f) {
  const c = Math.max(0, Math.min(1, f));
  return `rgb(${Math.round(30 + 225 * c)}, ${Math.round(30 + 190 * c ** 0.7)}, ${Math.round(120 * (1 - c) + 20)})`;
}
