/**
 * The normative statements of the Sparkplug 3.0 specification that apply to an edge node, with
 * their ids (the specification's `tck-id-…`), and where each is checked:
 *  - "stream": by `violations()` below, on every message stream a test records;
 *  - otherwise: "<file>: <scenario>", the test in test/integration/<file>.test.ts that checks it.
 * Statements about hosts, brokers, templates, datasets and files do not apply to this node.
 */
import { DataType } from "../../agent/sparkplug/codec.js";
import type { SparkplugMessage } from "./sparkplug-host.js";

export const EDGE_NODE_STATEMENTS: Record<string, { text: string; checkedBy: string }> = {
  "tck-id-topic-structure": {
    text: "namespace/group_id/message_type/edge_node_id/[device_id]",
    checkedBy: "stream",
  },
  "tck-id-topic-structure-namespace-device-id-associated-message-types": {
    text: "device_id in DBIRTH, DDEATH, DDATA, DCMD topics",
    checkedBy: "stream",
  },
  "tck-id-topic-structure-namespace-device-id-non-associated-message-types": {
    text: "no device_id in NBIRTH, NDEATH, NDATA, NCMD topics",
    checkedBy: "stream",
  },
  "tck-id-topics-nbirth-mqtt": { text: "NBIRTH: QoS 0, retain false", checkedBy: "stream" },
  "tck-id-topics-nbirth-seq-num": { text: "NBIRTH seq is 0", checkedBy: "stream" },
  "tck-id-topics-nbirth-timestamp": { text: "NBIRTH has a timestamp", checkedBy: "stream" },
  "tck-id-topics-nbirth-metrics": {
    text: "each birth metric has name, datatype and current value",
    checkedBy: "stream",
  },
  "tck-id-topics-nbirth-bdseq-included": { text: "NBIRTH has a bdSeq metric", checkedBy: "stream" },
  "tck-id-message-flow-edge-node-birth-publish-nbirth-payload-bdSeq": {
    text: "NBIRTH bdSeq is INT64, the same as the CONNECT's will",
    checkedBy: "stream",
  },
  "tck-id-topics-nbirth-bdseq-increment": {
    text: "bdSeq starts at 0, +1 on every CONNECT",
    checkedBy: "sparkplug-process: bdSeq across restarts",
  },
  "tck-id-topics-nbirth-rebirth-metric": {
    text: "NBIRTH has Node Control/Rebirth, Boolean, false",
    checkedBy: "stream",
  },
  "tck-id-operational-behavior-data-commands-rebirth-name-aliases": {
    text: "no alias on Node Control/Rebirth",
    checkedBy: "stream",
  },
  "tck-id-topics-dbirth-mqtt": { text: "DBIRTH: QoS 0, retain false", checkedBy: "stream" },
  "tck-id-message-flow-device-birth-publish-nbirth-wait": {
    text: "NBIRTH sent in the session before any DBIRTH",
    checkedBy: "stream",
  },
  "tck-id-payloads-dbirth-order": {
    text: "DBIRTHs right after NBIRTH, before any DATA",
    checkedBy: "stream",
  },
  "tck-id-topics-dbirth-metrics": {
    text: "each DBIRTH metric has name, datatype and current value",
    checkedBy: "stream",
  },
  "tck-id-topics-ndata-mqtt": { text: "NDATA: QoS 0, retain false", checkedBy: "stream" },
  "tck-id-topics-ddata-mqtt": { text: "DDATA: QoS 0, retain false", checkedBy: "stream" },
  "tck-id-topics-ddeath-mqtt": { text: "DDEATH: QoS 0, retain false", checkedBy: "stream" },
  "tck-id-payloads-ddata-order": { text: "no DATA before NBIRTH and the DBIRTHs", checkedBy: "stream" },
  "tck-id-payloads-sequence-num-always-included": {
    text: "seq in every message but NDEATH",
    checkedBy: "stream",
  },
  "tck-id-payloads-sequence-num-incrementing": {
    text: "seq +1 per message after NBIRTH, 255 then 0",
    checkedBy: "stream",
  },
  "tck-id-payloads-timestamp-in-UTC": { text: "payload timestamp, ms since 1970 UTC", checkedBy: "stream" },
  "tck-id-payloads-name-birth-data-requirement": {
    text: "a timestamp on every metric of BIRTH and DATA",
    checkedBy: "stream",
  },
  "tck-id-payloads-alias-uniqueness": { text: "aliases unique across the edge node", checkedBy: "stream" },
  "tck-id-payloads-alias-birth-requirement": { text: "births carry name and alias", checkedBy: "stream" },
  "tck-id-payloads-alias-data-cmd-requirement": {
    text: "DATA carries the alias only, no name",
    checkedBy: "stream",
  },
  "tck-id-payloads-metric-datatype-req": { text: "datatype on every birth metric", checkedBy: "stream" },
  "tck-id-payloads-metric-datatype-not-req": {
    text: "no datatype in DATA (SHOULD NOT)",
    checkedBy: "stream",
  },
  "tck-id-operational-behavior-data-publish-dbirth": {
    text: "DATA only carries metrics its birth declared",
    checkedBy: "stream",
  },
  "tck-id-topics-ndeath-payload": { text: "NDEATH holds only the bdSeq metric", checkedBy: "stream" },
  "tck-id-topics-ndeath-seq": { text: "NDEATH has no seq", checkedBy: "stream" },
  "tck-id-payloads-ndeath-bdseq": { text: "NDEATH bdSeq is the NBIRTH's", checkedBy: "stream" },
  "tck-id-message-flow-edge-node-birth-publish-will-message-qos": {
    text: "will (NDEATH) QoS 1",
    checkedBy: "sparkplug-process: CONNECT packet, kill -9",
  },
  "tck-id-message-flow-edge-node-birth-publish-will-message-will-retained": {
    text: "will (NDEATH) not retained",
    checkedBy: "sparkplug-process: CONNECT packet, kill -9",
  },
  "tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath": {
    text: "NDEATH before an intentional disconnect",
    checkedBy: "sparkplug-mosquitto: clean stop",
  },
  "tck-id-operational-behavior-data-commands-rebirth-action-2": {
    text: "a rebirth request: the whole BIRTH sequence",
    checkedBy: "sparkplug-mosquitto: rebirth",
  },
  "tck-id-operational-behavior-data-commands-rebirth-action-3": {
    text: "a rebirth keeps the bdSeq",
    checkedBy: "sparkplug-mosquitto: rebirth",
  },
  "tck-id-message-flow-edge-node-ncmd-subscribe": {
    text: "subscribed to NCMD (QoS 1) before NBIRTH",
    checkedBy: "sparkplug-mosquitto: rebirth",
  },
  "tck-id-message-flow-device-dcmd-subscribe": {
    text: "subscribed to DCMD (QoS 1)",
    checkedBy: "sparkplug-mosquitto: DCMD",
  },
  "tck-id-message-flow-edge-node-birth-publish-phid-wait": {
    text: "with a primary host: no NBIRTH before its STATE is online",
    checkedBy: "sparkplug-mosquitto: primary host",
  },
  "tck-id-operational-behavior-edge-node-termination-host-offline": {
    text: "primary host offline: disconnect",
    checkedBy: "sparkplug-mosquitto: primary host",
  },
  "tck-id-operational-behavior-edge-node-termination-host-offline-timestamp": {
    text: "an offline STATE older than the online one is ignored",
    checkedBy: "sparkplug-mosquitto: primary host",
  },
  "tck-id-operational-behavior-device-ddeath": {
    text: "DDEATH for a device the node lost",
    checkedBy: "sparkplug-mosquitto: device fault",
  },
  "tck-id-principles-persistence-clean-session-311": {
    text: "MQTT 3.1.1 CONNECT with Clean Session",
    checkedBy: "sparkplug-process: CONNECT packet",
  },
};

const TYPES = new Set(["NBIRTH", "NDEATH", "NDATA", "NCMD", "DBIRTH", "DDEATH", "DDATA", "DCMD"]);
const DEVICE_TYPES = new Set(["DBIRTH", "DDEATH", "DDATA", "DCMD"]);
const DAY_MS = 86_400_000;

/**
 * The "stream" statements broken in one edge node's recorded messages (from the host's first
 * subscription on), each as "<id>: what". Commands the host sent itself are left out.
 */
export function violations(messages: SparkplugMessage[], nowMs = Date.now()): string[] {
  const out: string[] = [];
  const fail = (id: string, what: string) => {
    if (!(id in EDGE_NODE_STATEMENTS)) throw new Error(`unlisted statement ${id}`);
    out.push(`${id}: ${what}`);
  };
  let seq: number | undefined;
  let bdSeq: number | undefined;
  let inBirthSequence = false;
  let aliases = new Map<number, string>();
  let born = new Map<string, Set<number>>();
  messages.forEach((m, i) => {
    const at = `#${i} ${m.topic}`;
    const p = m.payload;
    if (m.type === "NCMD" || m.type === "DCMD") return;
    if (!TYPES.has(m.type)) fail("tck-id-topic-structure", `${at}: unknown type`);
    if (DEVICE_TYPES.has(m.type) !== (m.device !== undefined))
      fail(
        DEVICE_TYPES.has(m.type)
          ? "tck-id-topic-structure-namespace-device-id-associated-message-types"
          : "tck-id-topic-structure-namespace-device-id-non-associated-message-types",
        at,
      );
    if (m.type === "NDEATH") {
      const only = p.metrics.length === 1 && p.metrics[0]!.name === "bdSeq";
      if (!only) fail("tck-id-topics-ndeath-payload", `${at}: ${p.metrics.map((x) => x.name).join(",")}`);
      if (p.seq !== undefined) fail("tck-id-topics-ndeath-seq", `${at}: seq ${p.seq}`);
      if (bdSeq !== undefined && p.metrics[0]?.value !== bdSeq)
        fail("tck-id-payloads-ndeath-bdseq", `${at}: ${p.metrics[0]?.value} after NBIRTH ${bdSeq}`);
      seq = undefined;
      return;
    }
    const qosId = `tck-id-topics-${m.type.toLowerCase()}-mqtt`;
    if (m.qos !== 0 || m.retain) fail(qosId, `${at}: qos ${m.qos} retain ${m.retain}`);
    if (p.seq === undefined) fail("tck-id-payloads-sequence-num-always-included", at);
    if (p.timestamp === undefined || Math.abs(p.timestamp - nowMs) > DAY_MS)
      fail("tck-id-payloads-timestamp-in-UTC", `${at}: ${p.timestamp}`);
    for (const x of p.metrics)
      if (x.timestamp === undefined || Math.abs(x.timestamp - nowMs) > DAY_MS)
        fail("tck-id-payloads-name-birth-data-requirement", `${at}: ${x.name ?? x.alias}`);
    if (m.type === "NBIRTH") {
      if (p.seq !== 0) fail("tck-id-topics-nbirth-seq-num", `${at}: seq ${p.seq}`);
      const bd = p.metrics.find((x) => x.name === "bdSeq");
      if (!bd) fail("tck-id-topics-nbirth-bdseq-included", at);
      else if (bd.datatype !== DataType.Int64)
        fail(
          "tck-id-message-flow-edge-node-birth-publish-nbirth-payload-bdSeq",
          `${at}: datatype ${bd.datatype}`,
        );
      bdSeq = bd?.value as number | undefined;
      const rebirth = p.metrics.find((x) => x.name === "Node Control/Rebirth");
      if (rebirth?.datatype !== DataType.Boolean || rebirth.value !== false)
        fail("tck-id-topics-nbirth-rebirth-metric", at);
      if (rebirth?.alias !== undefined)
        fail("tck-id-operational-behavior-data-commands-rebirth-name-aliases", at);
      seq = 0;
      inBirthSequence = true;
      aliases = new Map();
      born = new Map();
    } else {
      if (seq === undefined) {
        if (m.type === "DBIRTH") fail("tck-id-message-flow-device-birth-publish-nbirth-wait", at);
        else fail("tck-id-payloads-ddata-order", `${at}: before any NBIRTH`);
      } else if (p.seq !== (seq + 1) % 256)
        fail("tck-id-payloads-sequence-num-incrementing", `${at}: seq ${p.seq} after ${seq}`);
      seq = p.seq;
    }
    if (m.type === "NBIRTH" || m.type === "DBIRTH") {
      const declared = new Set<number>();
      for (const x of p.metrics) {
        if (x.name === undefined || x.datatype === undefined || (x.value === undefined && !x.isNull))
          fail(
            m.type === "NBIRTH" ? "tck-id-topics-nbirth-metrics" : "tck-id-topics-dbirth-metrics",
            `${at}: ${JSON.stringify(x)}`,
          );
        if (x.datatype === undefined) fail("tck-id-payloads-metric-datatype-req", `${at}: ${x.name}`);
        if (x.name === "Node Control/Rebirth") continue;
        if (x.alias === undefined) fail("tck-id-payloads-alias-birth-requirement", `${at}: ${x.name}`);
        else {
          const owner = `${m.device ?? ""}/${x.name}`;
          const known = aliases.get(x.alias);
          if (known !== undefined && known !== owner)
            fail("tck-id-payloads-alias-uniqueness", `${at}: alias ${x.alias} of ${owner} and ${known}`);
          aliases.set(x.alias, owner);
          declared.add(x.alias);
        }
      }
      born.set(m.device ?? "", declared);
    }
    if (m.type === "DDEATH") born.delete(m.device!);
    if (m.type === "NDATA" || m.type === "DDATA") {
      const declared = born.get(m.device ?? "");
      if (!declared)
        fail(
          inBirthSequence ? "tck-id-payloads-dbirth-order" : "tck-id-payloads-ddata-order",
          `${at}: its device is not born`,
        );
      for (const x of p.metrics) {
        if (x.name !== undefined) fail("tck-id-payloads-alias-data-cmd-requirement", `${at}: name ${x.name}`);
        if (x.datatype !== undefined)
          fail("tck-id-payloads-metric-datatype-not-req", `${at}: alias ${x.alias}`);
        if (declared && (x.alias === undefined || !declared.has(x.alias)))
          fail("tck-id-operational-behavior-data-publish-dbirth", `${at}: alias ${x.alias} not in its birth`);
      }
      inBirthSequence = false;
    }
  });
  return out;
}
