/** The shipped runbooks are valid, call verbs that exist with arguments those verbs accept, and name the example bench's devices. */
import { describe, expect, it } from "vitest";
import { verbs } from "../../../agent/control/verbs.js";
import { loadRunbooks, parseRunbook, shippedRunbooksDir } from "../../../agent/operations/runbook-schema.js";
import { SIM_DEVICES } from "../../helpers/bench-config.js";

describe("runbooks", () => {
  it("ship the five recoveries the issue lists", async () => {
    const books = await loadRunbooks([shippedRunbooksDir()]);
    expect([...books.keys()].sort()).toEqual([
      "cryostat-recovery",
      "detector-latch-recovery",
      "laser-relock",
      "realign",
      "safe-shutdown",
    ]);
  });

  it("every command step names a verb and passes that verb's argument schema; every telemetry metric a device of the example bench", async () => {
    const books = await loadRunbooks([shippedRunbooksDir()]);
    const problems: string[] = [];
    for (const book of books.values())
      for (const step of book.steps) {
        if ("command" in step) {
          const verb = (
            verbs as Record<string, { request: { safeParse(v: unknown): { success: boolean } } }>
          )[step.command];
          if (!verb) problems.push(`${book.name}/${step.name}: no verb ${step.command}`);
          else if (!verb.request.safeParse(step.args).success)
            problems.push(`${book.name}/${step.name}: bad args`);
        }
        const condition = "wait" in step ? step.wait : "check" in step ? step.check : undefined;
        const [kind, device] = condition?.metric.split("/") ?? [];
        if (kind === "telemetry" && !(SIM_DEVICES as readonly string[]).includes(device!))
          problems.push(`${book.name}/${step.name}: no device ${device}`);
      }
    expect(problems).toEqual([]);
  });

  it("a bad runbook is refused with its file and the path of the problem", () => {
    expect(() =>
      parseRunbook(
        "name: x\ndescription: d\nsteps:\n  - name: s\n    wait: { metric: telemetry/a/b, below: 1 }\n",
        "rb.yaml",
      ),
    ).toThrow(/rb\.yaml: steps\.0/);
    expect(() => parseRunbook("name: [", "broken.yaml")).toThrow(/broken\.yaml: not YAML/);
    expect(() => parseRunbook("name: x\ndescription: d\nsteps: []\n", "empty.yaml")).toThrow(
      /empty\.yaml: steps/,
    );
  });
});
