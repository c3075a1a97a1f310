// The live web view: one EventSource from the agent (a snapshot, then update frames), a state
// that applies them, and panels that redraw at most once per animation frame.

import * as aligner from "./panels/aligner.js";
import * as cryostat from "./panels/cryostat.js";
import * as g2 from "./panels/g2.js";
import * as header from "./panels/header.js";
import * as rates from "./panels/rates.js";
import * as recording from "./panels/recording.js";
import * as status from "./panels/status.js";
import { BenchState } from "./state.js";

const panels = [header, status, g2, rates, cryostat, aligner, recording];
const state = new BenchState();
let role;
let drawing = false;
let initialised = false;

/** For a person at the console (and the browser tests): the state and the panels' plots. */
window.photonBench = { state, plots: {}, frames: 0, snapshots: 0 };

function draw() {
  drawing = false;
  const changed = state.takeChanged();
  for (const p of panels) {
    try {
      p.render(state, changed);
    } catch (err) {
      console.warn(`panel ${p.name ?? ""} could not draw: ${err.message}`);
    }
  }
}

function schedule() {
  if (!drawing) {
    drawing = true;
    requestAnimationFrame(draw);
  }
}

async function main() {
  const session = await fetch("/api/session");
  if (session.status === 401) {
    document.getElementById("login-needed").hidden = false;
    document.getElementById("link").textContent = "not logged in";
    return;
  }
  role = (await session.json()).role;
  document.body.dataset.role = role;
  const link = document.getElementById("link");
  const events = new EventSource("/events");
  events.addEventListener("snapshot", (e) => {
    const snapshot = JSON.parse(e.data);
    state.reset(snapshot);
    window.photonBench.snapshots++;
    if (!initialised) {
      for (const p of panels) p.init(state, snapshot.role, window.photonBench.plots);
      initialised = true;
    }
    link.textContent = "live";
    link.className = "badge ok";
    schedule();
  });
  events.addEventListener("update", (e) => {
    state.apply(JSON.parse(e.data));
    window.photonBench.frames++;
    schedule();
  });
  events.addEventListener("error", () => {
    link.textContent = "reconnecting…";
    link.className = "badge bad";
  });
}

main();
