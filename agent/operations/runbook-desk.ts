/**
 * The bench's runbooks and the one that may run at a time: loaded at start (the shipped ones,
 * then a lab's own directory), started by an incident's trigger or a command, each step logged
 * and written to the audit trail with its outcome and timing.
 */
import type { Logger } from "../../hal/logger.js";
import type { Response } from "../control/protocol.js";
import type { AuditEvent } from "../events.js";
import type { MetricView } from "./metric-view.js";
import { type RunbookRun, runRunbook, type StepOutcome } from "./runbook-runner.js";
import { loadRunbooks, type Runbook, shippedRunbooksDir } from "./runbook-schema.js";

export interface RunbookDeskDeps {
  request: (verb: string, payload: Buffer, via: string) => Promise<Response>;
  audit?: (entry: AuditEvent) => void;
  view: MetricView;
  logger: Logger;
  pollMs?: number;
  /** Each step (ended false) and the end (ended true) of a run started for an incident. */
  progress: (incident: string, run: RunbookRun, ended: boolean) => void;
}

export class RunbookDesk {
  private books = new Map<string, Runbook>();
  private running: { incident: string; abort: AbortController; done: Promise<void> } | undefined;
  readonly counts = { runbooksRun: 0, runbooksFailed: 0 };

  constructor(private readonly deps: RunbookDeskDeps) {}

  /** Loads and checks every runbook; a trigger naming none that exists is an error. */
  async load(dir: string | undefined, triggered: readonly string[]): Promise<void> {
    this.books = await loadRunbooks([shippedRunbooksDir(), ...(dir ? [dir] : [])]);
    for (const name of triggered)
      if (!this.books.has(name))
        throw new Error(
          `operations.runbooks.triggers: no runbook "${name}" (have ${this.names().join(", ")})`,
        );
  }

  names(): string[] {
    return [...this.books.keys()];
  }

  /** Starts a runbook by name; refuses (with why) while another runs. */
  run(name: string, trigger: string, incident?: string): RunbookRun | string {
    const book = this.books.get(name);
    if (!book) return `no runbook "${name}" (have ${this.names().join(", ")})`;
    if (this.running) return `runbook for incident ${this.running.incident} is running: one at a time`;
    const abort = new AbortController();
    const run: RunbookRun = { runbook: name, trigger, startedAt: new Date().toISOString(), steps: [] };
    this.counts.runbooksRun++;
    this.deps.logger.info({ runbook: name, trigger, incident }, "runbook started");
    const done = runRunbook(
      book,
      trigger,
      {
        request: this.deps.request,
        view: this.deps.view,
        ...(this.deps.pollMs ? { pollMs: this.deps.pollMs } : {}),
        onStep: (r, step) => {
          this.deps.logger.info({ runbook: name, ...step }, "runbook step");
          this.deps.audit?.(stepAudit(name, trigger, step));
          if (incident) this.deps.progress(incident, r, false);
        },
      },
      abort.signal,
    ).then((r) => {
      this.running = undefined;
      if (r.outcome !== "recovered") this.counts.runbooksFailed++;
      this.deps.logger[r.outcome === "recovered" ? "info" : "error"](
        { runbook: name, outcome: r.outcome },
        "runbook ended",
      );
      if (incident) this.deps.progress(incident, r, true);
    });
    this.running = { incident: incident ?? "(command)", abort, done };
    return run;
  }

  /** Aborts a run in progress (the agent is stopping) and waits for it to end. */
  async stop(): Promise<void> {
    this.running?.abort.abort();
    await this.running?.done;
  }
}

function stepAudit(runbook: string, trigger: string, step: StepOutcome): AuditEvent {
  return {
    ts: new Date().toISOString(),
    verb: "runbook/step",
    transaction: undefined,
    via: `runbook:${runbook}`,
    status: step.status === "ok" ? "ok" : "error",
    ...(step.status === "ok" ? {} : { code: step.status }),
    message: `${step.step}: ${step.status} in ${step.durationMs} ms${step.detail ? ` (${step.detail})` : ""}`,
    request: { runbook, trigger, step: step.step, durationMs: step.durationMs },
  };
}
