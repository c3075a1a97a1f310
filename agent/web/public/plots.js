// Small helpers around uPlot (vendor/uplot.js, a global): a plot that fits its panel, and data
// from the page's history columns.

const HEIGHT = 170;

export function makePlot(container, series, options = {}) {
  const width = Math.max(240, container.clientWidth || 400);
  const opts = {
    width,
    height: options.height ?? HEIGHT,
    series: [{ label: options.xLabel ?? "time" }, ...series],
    scales: { x: { time: options.time ?? true }, ...(options.scales ?? {}) },
    axes: options.axes ?? [{}, { size: 60 }],
    legend: { live: false },
    cursor: { drag: { x: true, y: false } },
    ...(options.hooks ? { hooks: options.hooks } : {}),
  };
  const empty = [[], ...series.map(() => [])];
  const plot = new uPlot(opts, empty, container);
  new ResizeObserver(() => {
    const w = container.clientWidth;
    if (w > 0 && Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: opts.height });
  }).observe(container);
  return plot;
}

/** [t, field1, field2 …] from a history group (columns the group lacks are all null). */
export function columns(group, fields) {
  if (!group) return [[], ...fields.map(() => [])];
  return [group.t, ...fields.map((f) => group.fields[f] ?? group.t.map(() => null))];
}

export const fmt = (v, digits = 3) =>
  typeof v === "number" && Number.isFinite(v)
    ? Math.abs(v) >= 1e4
      ? v.toExponential(digits - 1)
      : v.toPrecision(digits)
    : "–";

export const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};
