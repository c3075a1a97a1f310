/**
 * Runs one runbook's steps in order (./runbook-schema.ts). Commands go through the control plane
 * like any operator's request, so the interlocks and limits apply: a step they refuse is
 * `refused`, and like a failed step it ends the run. Every step's outcome and timing is recorded
 * (the incident carries them; the commands are in the audit trail).
 */
import { randomUUID } from "node:crypto";
import type { Response } from "../control/protocol.js";
import { describe, type MetricView } from "./metric-view.js";
import type { Runbook, RunbookStep } from "./runbook-schema.js";

export interface StepOutcome {
  step: string;
  status: "ok" | "failed" | "refused";
  startedAt: string;
  durationMs: number;
  detail?: string;
}

export interface RunbookRun {
  runbook: string;
  trigger: string;
  startedAt: string;
  endedAt?: string;
  outcome?: "recovered" | "failed" | "refused" | "aborted";
  steps: StepOutcome[];
}

export interface RunnerDeps {
  request: (verb: string, payload: Buffer, via: string) => Promise<Response>;
  view: MetricView;
  /** How often a `wait` step looks again, ms. */
  pollMs?: number;
  onStep?: (run: RunbookRun, step: StepOutcome) => void;
}

const REFUSALS = new Set(["interlock", "limit", "conflict", "disabled", "busy"]);

export async function runRunbook(
  book: Runbook,
  trigger: string,
  deps: RunnerDeps,
  signal: AbortSignal,
): Promise<RunbookRun> {
  const run: RunbookRun = { runbook: book.name, trigger, startedAt: new Date().toISOString(), steps: [] };
  for (const step of book.steps) {
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    let result: Pick<StepOutcome, "status" | "detail">;
    try {
      result = await runStep(book, step, deps, signal);
    } catch (err) {
      if (signal.aborted) {
        run.outcome = "aborted";
        break;
      }
      result = { status: "failed", detail: (err as Error).message };
    }
    const outcome: StepOutcome = {
      step: step.name,
      ...result,
      startedAt,
      durationMs: Math.round(performance.now() - t0),
    };
    run.steps.push(outcome);
    deps.onStep?.(run, outcome);
    if (outcome.status !== "ok") {
      run.outcome = outcome.status;
      break;
    }
  }
  run.outcome ??= signal.aborted ? "aborted" : "recovered";
  run.endedAt = new Date().toISOString();
  return run;
}

async function runStep(
  book: Runbook,
  step: RunbookStep,
  deps: RunnerDeps,
  signal: AbortSignal,
): Promise<Pick<StepOutcome, "status" | "detail">> {
  if ("command" in step) {
    const payload = Buffer.from(JSON.stringify({ transaction: randomUUID(), ...step.args }));
    const answer = await deps.request(step.command, payload, `runbook:${book.name}`);
    if (answer.status === "ok") return { status: "ok", detail: JSON.stringify(answer.data ?? {}) };
    const code = answer.error?.code ?? "internal";
    return {
      status: REFUSALS.has(code) ? "refused" : "failed",
      detail: `${step.command} ${code}: ${answer.error?.message ?? ""}`,
    };
  }
  if ("check" in step) {
    const ok = deps.view.holds(step.check);
    return ok
      ? { status: "ok" }
      : {
          status: "failed",
          detail: `${describe(step.check)} does not hold (${String(deps.view.value(step.check.metric))})`,
        };
  }
  if ("pauseS" in step) {
    await sleep(step.pauseS * 1000, signal);
    return { status: "ok" };
  }
  const pollMs = deps.pollMs ?? 250;
  const deadline = performance.now() + step.timeoutS * 1000;
  let heldSince: number | undefined;
  for (;;) {
    const now = performance.now();
    if (deps.view.holds(step.wait) === true) {
      heldSince ??= now;
      if (now - heldSince >= step.forS * 1000) return { status: "ok" };
    } else heldSince = undefined;
    if (now >= deadline)
      return {
        status: "failed",
        detail: `${describe(step.wait)} not reached within ${step.timeoutS} s (last ${String(deps.view.value(step.wait.metric))})`,
      };
    await sleep(pollMs, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
