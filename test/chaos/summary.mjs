// make chaos: the scenarios' JSON lines again, then one summary line; exit 1 if any ended unsafe or lost a message.
import { readFileSync } from "node:fs";

const lines = readFileSync(process.argv[2], "utf8")
  .trim()
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l));
for (const line of lines) console.log(JSON.stringify(line));
const failed = lines.filter((l) => !l.safeState || l.lostMessages > 0).map((l) => l.scenario);
console.log(
  JSON.stringify({
    summary: "chaos",
    scenarios: lines.length,
    safe: lines.filter((l) => l.safeState).length,
    withAlarm: lines.filter((l) => l.alarm !== null).length,
    lostMessages: lines.reduce((n, l) => n + l.lostMessages, 0),
    failed,
  }),
);
process.exit(failed.length > 0 ? 1 : 0);
