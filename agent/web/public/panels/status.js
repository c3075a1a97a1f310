// Interlocks, alarms, incidents and devices; acknowledge and reset buttons for an operator only.
import { commandButton } from "../commands.js";
import { el } from "../plots.js";

export const name = "status";
let operator = false;

export function init(_state, role) {
  operator = role === "operator";
}

export function render(state, changed) {
  const all = changed.has("*");
  if (all || changed.has("telemetry/interlocks")) interlocks(state);
  if (all || changed.has("alarm")) alarms(state);
  if (all || changed.has("incident")) incidents(state);
  if (all || changed.has("telemetry")) devices(state);
}

function interlocks(state) {
  const body = document.querySelector("#interlocks tbody");
  const values = state.telemetry("interlocks") ?? {};
  body.replaceChildren(
    ...(state.setup.interlocks ?? []).map((rule) => {
      const tripped = values[`${rule}Tripped`] === true;
      const latched = values[`${rule}Latched`] === true;
      const tr = el("tr");
      tr.dataset.rule = rule;
      tr.append(
        el("td", rule),
        el(
          "td",
          tripped ? "tripped" : latched ? "latched: reset needed" : "clear",
          tripped || latched ? "critical" : "",
        ),
      );
      const cell = el("td");
      if (operator && latched && !tripped)
        cell.append(commandButton("Reset", "interlock/reset", { rules: [rule] }, `interlock/reset ${rule}`));
      tr.append(cell);
      return tr;
    }),
  );
}

function alarms(state) {
  const list = document.getElementById("alarms");
  const active = state
    .byPrefix("alarm")
    .sort(([, a], [, b]) => (a.severity === b.severity ? 0 : a.severity === "critical" ? -1 : 1));
  if (active.length === 0) return list.replaceChildren(el("li", "none active", "muted"));
  list.replaceChildren(
    ...active.map(([alarmName, a]) => {
      const li = el("li");
      li.dataset.alarm = alarmName;
      li.append(el("strong", `${alarmName} `, a.severity), el("span", a.message));
      const since = a.since ? ` since ${new Date(a.since).toLocaleTimeString()}` : "";
      li.append(el("div", `${a.severity}${since}`, "small muted"));
      if (a.acknowledged)
        li.append(el("div", `acknowledged by ${a.acknowledged.by}`, "small muted acknowledged"));
      else if (operator) li.append(commandButton("Acknowledge", "alarm/ack", { name: alarmName }));
      return li;
    }),
  );
}

function incidents(state) {
  const list = document.getElementById("incidents");
  const open = state.byPrefix("incident");
  if (open.length === 0) return list.replaceChildren(el("li", "none open", "muted"));
  list.replaceChildren(
    ...open.map(([id, i]) => {
      const li = el("li");
      li.dataset.incident = id;
      li.append(el("strong", `${id} `), el("span", `${i.cause.alarm}: ${i.cause.message}`));
      const ran = i.runbooks?.map((r) => `${r.name} ${r.state ?? ""}`).join(", ");
      li.append(
        el(
          "div",
          `opened ${new Date(i.openedAt).toLocaleTimeString()}${ran ? ` · runbooks: ${ran}` : ""}`,
          "small muted",
        ),
      );
      if (i.acknowledged) li.append(el("div", `acknowledged by ${i.acknowledged.by}`, "small muted"));
      else if (operator) li.append(commandButton("Acknowledge", "incident/ack", { id }));
      return li;
    }),
  );
}

function devices(state) {
  const body = document.querySelector("#devices tbody");
  body.replaceChildren(
    ...Object.entries(state.setup.devices ?? {}).map(([device, type]) => {
      const t = state.latest.get(`telemetry/${device}`);
      const tr = el("tr");
      const faulted = t?.state === "faulted";
      tr.append(
        el("td", device),
        el("td", type, "muted small"),
        el(
          "td",
          !t ? "…" : faulted ? `faulted: ${t.fault.message ?? t.fault.error}` : "ok",
          faulted ? "critical" : "",
        ),
      );
      return tr;
    }),
  );
}
