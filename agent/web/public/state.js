// The page's copy of the bench, from the agent's snapshot and update frames (agent/web/live-feed.ts).
// Every collection is bounded as on the agent: the page's memory does not grow while it stays open.

/** Points per series, as the agent keeps them (HISTORY_POINTS). */
const HISTORY_POINTS = 900;
const SCAN_POINTS = 8000;
const TRAIL_POINTS = 600;

export class BenchState {
  constructor() {
    this.reset({ setup: {}, latest: {}, history: {}, scan: { unit: null, points: [], trail: [] } });
  }

  /** Everything anew (a snapshot). */
  reset(snapshot) {
    this.setup = snapshot.setup;
    this.latest = new Map(Object.entries(snapshot.latest));
    /** group → {t: number[], fields: {name: (number|null)[]}} */
    this.history = new Map(Object.entries(snapshot.history));
    this.scan = { unit: snapshot.scan.unit, points: snapshot.scan.points, trail: snapshot.scan.trail };
    this.version = (this.version ?? 0) + 1;
    this.changed = new Set(["*"]);
  }

  /** One update frame: the changed keys are remembered for the next render. */
  apply(frame) {
    for (const [key, value] of Object.entries(frame.latest)) {
      if (value === null) this.latest.delete(key);
      else this.latest.set(key, value);
      this.changed.add(key.split("/")[0]);
      this.changed.add(key);
    }
    for (const [group, points] of Object.entries(frame.history)) {
      const g = this.history.get(group) ?? { t: [], fields: {} };
      for (const [t, values] of points) {
        const n = g.t.length;
        g.t.push(t);
        for (const name of Object.keys(values)) g.fields[name] ??= new Array(n).fill(null);
        for (const [name, column] of Object.entries(g.fields)) column.push(values[name] ?? null);
      }
      const excess = g.t.length - HISTORY_POINTS;
      if (excess > 0) {
        g.t.splice(0, excess);
        for (const column of Object.values(g.fields)) column.splice(0, excess);
      }
      this.history.set(group, g);
      this.changed.add(`history:${group}`);
    }
    if (frame.scan) {
      const s = frame.scan;
      if (s.reset) this.scan.points = [];
      this.scan.unit = s.unit;
      this.scan.points.push(...s.points);
      this.scan.trail.push(...s.trail);
      if (this.scan.points.length > SCAN_POINTS)
        this.scan.points.splice(0, this.scan.points.length - SCAN_POINTS);
      if (this.scan.trail.length > TRAIL_POINTS)
        this.scan.trail.splice(0, this.scan.trail.length - TRAIL_POINTS);
      this.changed.add("scan");
    }
  }

  /** The keys that changed since the last call ("*": everything). */
  takeChanged() {
    const c = this.changed;
    this.changed = new Set();
    return c;
  }

  /** Latest values whose key starts with `prefix/`, by the rest of the key. */
  byPrefix(prefix) {
    const out = [];
    for (const [key, value] of this.latest)
      if (key.startsWith(`${prefix}/`)) out.push([key.slice(prefix.length + 1), value]);
    return out;
  }

  telemetry(device) {
    const t = this.latest.get(`telemetry/${device}`);
    return t && t.state === "ok" ? t.values : undefined;
  }
}
