/**
 * DESIGN.md's layering, checked on the source: agent → hal (interfaces) ← hal back ends | sim.
 * Nothing in agent/ imports onoff, i2c-bus, serialport or sim/; the composition root
 * (agent/providers.ts) alone loads back ends, lazily, with dynamic import().
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const imports = (file: string) => {
  const text = readFileSync(file, "utf8");
  return {
    static: [...text.matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!),
    dynamic: [...text.matchAll(/import\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!),
  };
};

const HARDWARE_LIBRARIES = /^(onoff|i2c-bus|serialport|@serialport\/|koffi)/;

describe("layering", () => {
  it("agent/ never imports the hardware libraries or the simulator statically", () => {
    const offending = sources("agent").flatMap((file) =>
      imports(file)
        .static.filter(
          (spec) => HARDWARE_LIBRARIES.test(spec) || /(^|\/)sim\//.test(spec) || /backends\//.test(spec),
        )
        .map((spec) => `${file}: ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it("only the composition root and the hardware tools load back ends, and only lazily", () => {
    const dynamic = sources("agent").flatMap((file) =>
      imports(file).dynamic.map((spec) => `${file}: ${spec}`),
    );
    expect([...new Set(dynamic)].sort()).toEqual([
      // The command-line dispatcher loads only the subcommand it runs.
      "agent/cli.ts: ./analyze-cli.js",
      "agent/cli.ts: ./ctl/ctl-cli.js",
      "agent/cli.ts: ./run-cli.js",
      "agent/cli.ts: ./self-check.js",
      "agent/cli.ts: ./tools-cli.js",
      // An instrument on another computer (a tagger, a wavemeter): its TCP link, only when the bench has one.
      "agent/devices.ts: ../hal/backends/tcp-link.js",
      "agent/providers.ts: ../hal/backends/hardware-provider.js",
      "agent/providers.ts: ../sim/provider.js",
      // A vendor's tagger library (through koffi), only when the bench has such a tagger.
      "agent/tagger-drivers.ts: ../hal/backends/native-library.js",
      // The technician's tools (ports, i2c-scan, gpio-probe) open the real buses.
      "agent/tools-cli.ts: ../hal/backends/hardware-provider.js",
      "agent/tools-cli.ts: ../hal/backends/serialport.js",
    ]);
  });

  it("hal/ depends on neither agent/ nor sim/, and sim/ not on agent/", () => {
    const offending = [
      ...sources("hal").flatMap((f) =>
        imports(f)
          .static.filter((s) => /(^|\/)(agent|sim)\//.test(s))
          .map((s) => `${f}: ${s}`),
      ),
      ...sources("sim").flatMap((f) =>
        imports(f)
          .static.filter((s) => /(^|\/)agent\//.test(s))
          .map((s) => `${f}: ${s}`),
      ),
    ];
    expect(offending).toEqual([]);
  });

  it("hardware libraries are loaded only inside hal/backends/, so the sim path runs without them", () => {
    const offending = [...sources("agent"), ...sources("hal"), ...sources("sim"), ...sources("config")]
      .filter((f) => !f.startsWith("hal/backends/"))
      .flatMap((f) => {
        const { static: s, dynamic: d } = imports(f);
        return [...s, ...d].filter((spec) => HARDWARE_LIBRARIES.test(spec)).map((spec) => `${f}: ${spec}`);
      });
    expect(offending).toEqual([]);
  });

  it("analyze loads none of the agent: its static imports reach no MQTT, broker, logger, config or HAL", () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of imports(file).static) {
        if (!spec.startsWith(".")) packages.add(spec.split("/")[0]!);
        else visit(join(dirname(file), spec).replace(/\.js$/, ".ts"));
      }
    };
    visit("agent/analyze-cli.ts");
    expect([...packages].filter((p) => !p.startsWith("node:")).sort()).toEqual([]);
    expect(
      [...seen].filter((f) => !f.startsWith("agent/correlation/") && !f.startsWith("agent/")).sort(),
    ).toEqual([]);
    expect([...seen].filter((f) => /agent\/(main|mqtt|services|run-cli)/.test(f))).toEqual([]);
  });
});
