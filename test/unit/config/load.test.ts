import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { benchJsonSchema } from "../../../agent/tools-cli.js";
import { ConfigError, loadConfig, redactConfig } from "../../../config/load.js";

const SIM_EXAMPLE = "config/examples/sim-bench.yaml";
const HW_EXAMPLE = "config/examples/hardware-bench.yaml";

function writeTemp(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "pb-config-"));
  const file = join(dir, "bench.yaml");
  writeFileSync(file, text);
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("loads every example bench file (limits.yaml is a limits file, not a bench)", () => {
    const benches = readdirSync("config/examples").filter((f) => f.endsWith(".yaml") && f !== "limits.yaml");
    expect(benches).toEqual(expect.arrayContaining(["replay-bench.yaml", "remote-tagger-mdt.yaml"]));
    for (const file of benches) {
      const { config } = loadConfig({ file: join("config/examples", file) });
      expect(Object.keys(config.devices).length, file).toBeGreaterThan(0);
    }
  });

  it("loads the simulated bench and fills in each instrument's factory serial settings", () => {
    const { config } = loadConfig({ file: SIM_EXAMPLE });
    expect(config.benchId).toBe("sim-bench-01");
    expect(config.mqtt.broker).toBe("embedded");
    expect(config.mqtt.embedded).toEqual({ host: "127.0.0.1", port: 1883 });
    const cryostat = config.devices.cryostat;
    expect(cryostat?.type).toBe("lakeshore336");
    if (cryostat?.type !== "lakeshore336") return;
    // Lake Shore 336 factory RS-232 settings: 57600 baud, 7 data bits, odd parity, 1 stop bit.
    expect(cryostat.serial).toMatchObject({ baudRate: 57600, dataBits: 7, parity: "odd", stopBits: 1 });
    expect(config.loops.interlocks.periodMs).toBe(50);
    expect(config.sim.emitter.repetitionRateMhz).toBe(80);
  });

  it("loads the hardware example, with the local limits file over its safety sections", () => {
    const { config } = loadConfig({ file: HW_EXAMPLE });
    expect(config.backend).toBe("hardware");
    expect(Object.keys(config.devices)).toHaveLength(10);
    expect(config.mqtt.tls).toMatchObject({
      rejectUnauthorized: true,
      caFile: "/etc/photon-bench/tls/lab-ca.crt",
    });
    const limits = writeTemp("safety:\n  laserMaxPowerMw: 2\nloops:\n  interlocks: { periodMs: 20 }\n");
    const limited = loadConfig({ file: HW_EXAMPLE, limitsFile: limits }).config;
    expect(limited.safety.laserMaxPowerMw).toBe(2);
    expect(limited.safety.detectorMaxBiasUa).toBe(11); // a default: the limits file's section replaces the file's
    expect(limited.loops.interlocks.periodMs).toBe(20);
    expect(limited.loops.telemetry.periodMs).toBe(1000);
    expect(
      problemsOf(() => loadConfig({ file: HW_EXAMPLE, limitsFile: writeTemp("devices: {}\n") })),
    ).toEqual(["devices: not a limits section (a limits file holds safety, interlocks, loops.interlocks)"]);
  });

  it("refuses an embedded broker beyond this machine without a login, and TLS settings on mqtt://", () => {
    const file = writeTemp("benchId: b1\nmqtt:\n  embedded: { host: 0.0.0.0 }\n");
    expect(problemsOf(() => loadConfig({ file }))).toEqual([
      "mqtt.embedded.host: the embedded broker listens beyond this machine only with username and passwordFile (line 3)",
    ]);
    const tls = writeTemp("benchId: b1\nmqtt:\n  broker: mqtt://x:1883\n  tls: { caFile: /ca.crt }\n");
    expect(problemsOf(() => loadConfig({ file: tls }))).toEqual([
      "mqtt.tls: tls settings need an mqtts:// broker (line 4)",
    ]);
  });

  it("publishes the bench file's JSON Schema, kept current (config/bench.schema.json)", () => {
    const committed = JSON.parse(readFileSync("config/bench.schema.json", "utf8")) as object;
    expect(committed).toEqual(benchJsonSchema());
    expect(Object.keys((committed as { properties: object }).properties)).toContain("control");
  });

  it("reports every problem with its path, one per line", () => {
    const file = writeTemp(`
benchId: b1
devices:
  laser:
    type: obis-laser
    serial: { path: 42 }
    interlockLine: { line: 17, actveLow: true }
  gauge:
    type: pirani-gauge
interlocks:
  - name: door
    inputs: [frontDoor]
    safe: { lasers: [laser] }
`);
    const problems = problemsOf(() => loadConfig({ file }));
    // Each with the YAML line of the value (the file's first line is empty).
    expect(problems).toContain("devices.laser.serial.path: expected string, got number (line 6)");
    expect(problems).toContain('devices.laser.interlockLine: unknown key "actveLow" (line 7)');
    expect(problems).toContain(
      'devices.gauge.type: unknown type "pirani-gauge" (valid: gpio-interlock, lakeshore336, sumitomo-f70, obis-laser, ads1115, piezo-mcp4728, snspd-bias, serial-tagger, replay-tagger, tcp-tagger, picoquant-tagger, qutag-tagger, swabian-tagger, thorlabs-mdt, thorlabs-kpz101, fabry-perot, scpi-wavemeter) (line 9)',
    );
    expect(problems).toHaveLength(3);
  });

  it("checks cross-references once the sections parse", () => {
    const file = writeTemp(`
benchId: b1
devices:
  laser:
    type: obis-laser
    serial: { path: /dev/ttyUSB0 }
    interlockLine: { line: 17 }
interlocks:
  - name: door
    inputs: [frontDoor, laser]
    safe: { lasers: [laser] }
`);
    expect(problemsOf(() => loadConfig({ file }))).toEqual([
      'interlocks.0.inputs.0: no device named "frontDoor" (line 10)',
      'interlocks.0.inputs.1: "laser" is a obis-laser, expected gpio-interlock (line 10)',
    ]);
  });

  it("refuses a YAML alias bomb with a line, not a stack trace", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(", ")}]`,
      );
    const problems = problemsOf(() => loadConfig({ file: writeTemp(`benchId: b1\n${levels.join("\n")}\n`) }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\(file\): .*alias/i);
  });

  it("reports YAML syntax errors with line and column", () => {
    const file = writeTemp("benchId: b1\nmqtt:\n  broker: [unclosed\n");
    const problems = problemsOf(() => loadConfig({ file }));
    expect(problems[0]).toMatch(/^line \d+, column \d+: /);
  });

  it("reports a missing file", () => {
    expect(problemsOf(() => loadConfig({ file: "/nonexistent/bench.yaml" }))).toEqual([
      "(file): cannot read: ENOENT",
    ]);
  });

  it("applies environment after the file and overrides after the environment", () => {
    const env = {
      PHOTON_BENCH_MQTT__BROKER: "mqtt://10.0.0.5:1884",
      PHOTON_BENCH_LOOPS__TELEMETRY__PERIOD_MS: "250",
      PHOTON_BENCH_BENCH_ID: "from-env",
      UNRELATED: "x",
    };
    const { config, envApplied } = loadConfig({
      file: SIM_EXAMPLE,
      env,
      overrides: { benchId: "from-flag" },
    });
    expect(config.mqtt.broker).toBe("mqtt://10.0.0.5:1884");
    expect(config.loops.telemetry.periodMs).toBe(250);
    expect(config.benchId).toBe("from-flag");
    expect(envApplied).toContain("PHOTON_BENCH_LOOPS__TELEMETRY__PERIOD_MS → loops.telemetry.periodMs");
  });

  it("refuses a bad value from the environment and names it", () => {
    const problems = problemsOf(() =>
      loadConfig({ file: SIM_EXAMPLE, env: { PHOTON_BENCH_MQTT__KEEPALIVE_S: "soon" } }),
    );
    expect(problems).toEqual(["mqtt.keepaliveS: expected number, got string"]);
  });

  it("redacts the broker password", () => {
    const { config } = loadConfig({ file: SIM_EXAMPLE, overrides: { "mqtt.password": "hunter2" } });
    expect(redactConfig(config).mqtt.password).toBe("***");
    expect(config.mqtt.password).toBe("hunter2");
  });
});
