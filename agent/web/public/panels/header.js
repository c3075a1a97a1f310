// The bar at the top: the bench, whether its agent is online, the backend, the run, who you are.
export const name = "header";

export function init(state, role) {
  document.getElementById("bench-id").textContent = state.setup.benchId ?? "";
  document.getElementById("backend").textContent = state.setup.backend ?? "";
  const r = document.getElementById("role");
  r.textContent = role;
  r.title =
    role === "operator" ? "you may acknowledge, reset and jog" : "you may look; commands need an operator";
}

export function render(state, changed) {
  if (changed.has("*") || changed.has("status")) {
    const s = state.latest.get("status");
    const e = document.getElementById("agent-state");
    e.textContent = !s ? "no status yet" : s.state === "online" ? "online" : `offline (${s.reason ?? "?"})`;
    e.className = `badge ${s?.state === "online" ? "ok" : "bad"}`;
  }
  if (changed.has("*") || changed.has("run")) {
    const run = state.latest.get("run");
    const e = document.getElementById("run-badge");
    e.textContent = run?.state === "running" ? `run ${run.name}` : "no run";
    e.className = `badge ${run?.state === "running" ? "ok" : ""}`;
  }
}
