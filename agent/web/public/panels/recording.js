// The run's metadata, the recording (current file, tags, files), the manifest's last lines, and
// the control plane's recent requests (refusals first to catch the eye).
import { commandButton } from "../commands.js";
import { el } from "../plots.js";

export const name = "recording";
let manifestTimer;

function dl(id, rows) {
  document.getElementById(id).replaceChildren(...rows.flatMap(([k, v]) => [el("dt", k), el("dd", v ?? "–")]));
}

export function init(state, role) {
  if (role === "operator" && state.setup.recording?.enabled) {
    const box = document.getElementById("recording-controls");
    box.append(
      commandButton("Start recording", "recording/start", {}),
      commandButton("Stop recording", "recording/stop", {}),
    );
  }
  if (state.setup.recording?.enabled) {
    manifest();
    manifestTimer = setInterval(manifest, 10_000);
  } else
    document
      .getElementById("manifest")
      .replaceChildren(el("li", "recording is off in the bench file", "muted"));
}

async function manifest() {
  try {
    const res = await fetch("/api/recording/manifest");
    if (!res.ok) return;
    const { entries } = await res.json();
    document
      .getElementById("manifest")
      .replaceChildren(
        ...(entries.length === 0
          ? [el("li", "no file closed yet", "muted")]
          : entries.slice().reverse().map(manifestLine)),
      );
  } catch {
    clearInterval(manifestTimer);
  }
}

function manifestLine(e) {
  const parts = [e.file ?? "?"];
  if (e.deleted || e.reason) parts.push(`deleted (${e.reason ?? "retention"})`);
  if (e.records !== undefined) parts.push(`${e.records} records`);
  if (e.bytes !== undefined) parts.push(`${(e.bytes / 1e6).toFixed(1)} MB`);
  if (e.sha256) parts.push(`sha256 ${e.sha256.slice(0, 12)}…`);
  if (e.runId) parts.push(`run ${e.runId}`);
  return el("li", parts.join(" · "));
}

export function render(state, changed) {
  const all = changed.has("*");
  if (all || changed.has("run")) {
    const r = state.latest.get("run");
    dl(
      "run",
      r
        ? [
            ["run", `${r.name} (${r.state})`],
            ["id", r.runId],
            ["operator", r.operator],
            ["sample", r.sample],
            ["notes", r.notes],
            ["started", r.startedAt && new Date(r.startedAt).toLocaleString()],
            ["stopped", r.stoppedAt && new Date(r.stoppedAt).toLocaleString()],
          ]
        : [["run", "none (run/start begins one)"]],
    );
  }
  if (all || changed.has("telemetry/agent")) {
    const v = state.telemetry("agent") ?? {};
    dl("recording", [
      [
        "recording",
        state.setup.recording?.enabled ? (v.recordingFile ? "on" : "off") : "off in the bench file",
      ],
      ["current file", v.recordingFile || "–"],
      [
        "file size",
        v.recordingFileBytes !== undefined ? `${(v.recordingFileBytes / 1e6).toFixed(1)} MB` : "–",
      ],
      ["tags recorded", v.recordedTags !== undefined ? String(v.recordedTags) : "–"],
      ["files closed", v.recordingFilesClosed !== undefined ? String(v.recordingFilesClosed) : "–"],
      ["dropped tags", v.recordingDroppedTags !== undefined ? String(v.recordingDroppedTags) : "–"],
    ]);
  }
  if (all || changed.has("audit")) {
    const audit = state.latest.get("audit") ?? [];
    document.getElementById("audit").replaceChildren(
      ...audit
        .slice()
        .reverse()
        .map((a) =>
          el(
            "li",
            `${new Date(a.ts).toLocaleTimeString()} ${a.verb} via ${a.via}: ${a.status}${a.message ? ` — ${a.message}` : ""}`,
            a.status === "error" ? "critical" : "",
          ),
        ),
    );
  }
}
