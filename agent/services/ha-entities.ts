/**
 * Home Assistant MQTT discovery entities for the numbers people watch, built from what the agent
 * publishes (pure: ./home-assistant.ts publishes them). Every entity reads the agent's own JSON
 * topic through a value template, is available while `status` says online, and belongs to one
 * Home Assistant device per bench.
 *
 *   telemetry …K, …TempC          sensor, device_class temperature
 *   telemetry …Mw                 sensor, device_class power (mW)
 *   telemetry …Cps                sensor, counts per second
 *   interlocks <rule>Tripped      binary_sensor, device_class safety (on: unsafe)
 *   a laser's emission            switch: its command is a `laser/emission` request (the control
 *                                 plane's checks: refused while an interlock is tripped)
 *   measurement/<h> g2(0)         sensor, with its error as an attribute
 *   alignment                     sensors: mode, fraction of peak (%)
 */
import type { Topics } from "../mqtt/topics.js";
import { unitOf } from "../units.js";

export interface DiscoveryContext {
  prefix: string;
  benchId: string;
  topics: Topics;
  version: string;
}

export interface Entity {
  /** The retained discovery topic. */
  topic: string;
  config: Record<string, unknown>;
}

/** A Home Assistant id: letters, digits and _ only. */
const id = (text: string) => text.replace(/[^A-Za-z0-9_]/g, "_");

/** The template of one field of a telemetry payload; "None" (unknown) while the device is faulted. */
const telemetryValue = (name: string) =>
  `{% if value_json.state == 'ok' %}{{ value_json['values'][${JSON.stringify(name)}] }}{% else %}None{% endif %}`;

function entity(
  c: DiscoveryContext,
  component: "sensor" | "binary_sensor" | "switch",
  object: string,
  fields: Record<string, unknown>,
): Entity {
  const objectId = id(object);
  return {
    // The node id keeps the bench id as it is (letters, digits, _ and -), so a broker ACL can
    // match it with the agent's user name.
    topic: `${c.prefix}/${component}/${c.benchId}/${objectId}/config`,
    config: {
      unique_id: `photon_bench_${id(c.benchId)}_${objectId}`,
      object_id: `${id(c.benchId)}_${objectId}`,
      availability_topic: c.topics.status(),
      availability_template: "{{ value_json.state }}",
      payload_available: "online",
      payload_not_available: "offline",
      device: {
        identifiers: [`photon-bench-${c.benchId}`],
        name: `photon-bench ${c.benchId}`,
        manufacturer: "photon-bench",
        model: "single-photon source bench",
        sw_version: c.version,
      },
      ...fields,
    },
  };
}

/** The entities of one device's telemetry (`values` of an ok reading). */
export function telemetryEntities(
  c: DiscoveryContext,
  device: string,
  type: string,
  values: Record<string, unknown>,
): Entity[] {
  const out: Entity[] = [];
  const stateTopic = c.topics.telemetry(device);
  for (const [name, value] of Object.entries(values)) {
    if (device === "interlocks" && typeof value === "boolean" && name.endsWith("Tripped")) {
      out.push(
        entity(c, "binary_sensor", `interlock_${name.slice(0, -"Tripped".length)}`, {
          name: `Interlock ${name.slice(0, -"Tripped".length)}`,
          state_topic: stateTopic,
          value_template: `{{ 'ON' if value_json['values'][${JSON.stringify(name)}] else 'OFF' }}`,
          device_class: "safety",
        }),
      );
      continue;
    }
    if (type === "obis-laser" && name === "emission") {
      out.push(
        entity(c, "switch", `${device}_emission`, {
          name: `${device} emission`,
          state_topic: stateTopic,
          value_template: "{{ 'ON' if value_json['values']['emission'] else 'OFF' }}",
          command_topic: c.topics.request("laser/emission"),
          command_template: `{"transaction": "ha-{{ now().timestamp() }}", "device": ${JSON.stringify(device)}, "on": {{ 'true' if value == 'ON' else 'false' }}}`,
          icon: "mdi:laser-pointer",
        }),
      );
      continue;
    }
    if (typeof value !== "number") continue;
    const unit = unitOf(name);
    const kind =
      unit === "K" || unit === "°C"
        ? { device_class: "temperature", unit_of_measurement: unit }
        : unit === "mW"
          ? { device_class: "power", unit_of_measurement: "mW" }
          : unit === "cps"
            ? { unit_of_measurement: "cps", icon: "mdi:counter" }
            : undefined;
    if (!kind || device === "agent") continue;
    out.push(
      entity(c, "sensor", `${device}_${name}`, {
        name: `${device} ${name}`,
        state_topic: stateTopic,
        value_template: telemetryValue(name),
        state_class: "measurement",
        ...kind,
      }),
    );
  }
  return out;
}

/** g2(0) of one histogram measurement, its error an attribute. */
export function g2Entity(c: DiscoveryContext, histogram: string): Entity {
  return entity(c, "sensor", `g2_zero_${histogram}`, {
    name: `g2(0) ${histogram}`,
    state_topic: c.topics.measurement(histogram),
    value_template: "{{ value_json.g2.g2Zero if value_json.g2.g2Zero is defined else None }}",
    json_attributes_topic: c.topics.measurement(histogram),
    json_attributes_template:
      "{{ {'g2ZeroError': value_json.g2.g2ZeroError, 'coincidences': value_json.coincidences} | tojson }}",
    state_class: "measurement",
    icon: "mdi:chart-bell-curve",
  });
}

export function alignmentEntities(c: DiscoveryContext): Entity[] {
  const stateTopic = c.topics.alignment();
  return [
    entity(c, "sensor", "alignment_mode", {
      name: "Alignment mode",
      state_topic: stateTopic,
      value_template: "{{ value_json.mode }}",
      device_class: "enum",
      options: ["idle", "search", "peak", "track", "reacquire", "blocked"],
    }),
    entity(c, "sensor", "alignment_fraction_of_peak", {
      name: "Coupling (fraction of peak)",
      state_topic: stateTopic,
      value_template: "{{ (value_json.fractionOfPeak * 100) | round(1) }}",
      unit_of_measurement: "%",
      state_class: "measurement",
    }),
  ];
}
