import { readFileSync } from "node:fs";

/** The package version, from package.json beside the sources (agent/) or the build (dist/agent/). */
export const AGENT_VERSION: string = (() => {
  for (const up of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "photon-bench" && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return "unknown";
})();
