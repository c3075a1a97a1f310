// An operator's buttons: each sends one verb through the agent's control plane and shows the answer.

const toast = () => document.getElementById("toast");
let hideTimer;

export function say(message, bad = false) {
  const t = toast();
  t.textContent = message;
  t.className = bad ? "bad" : "";
  t.hidden = false;
  clearTimeout(hideTimer);
  hideTimer = setTimeout(
    () => {
      t.hidden = true;
    },
    bad ? 8000 : 3000,
  );
}

/** Sends `verb` with `args`; resolves with the control plane's answer. */
export async function send(verb, args = {}) {
  let answer;
  try {
    const res = await fetch(`/api/command/${verb}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(args),
    });
    answer = await res.json();
  } catch (err) {
    say(`${verb}: ${err.message}`, true);
    return undefined;
  }
  if (answer.status === "ok") say(`${verb}: done`);
  else say(`${verb}: ${answer.error?.message ?? answer.message ?? "refused"}`, true);
  return answer;
}

/** A button that sends `verb` (operators only: the page shows none to a viewer). */
export function commandButton(label, verb, args, title) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.verb = verb;
  if (title) b.title = title;
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await send(verb, typeof args === "function" ? args() : args);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}
