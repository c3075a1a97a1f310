/**
 * A minimal Sparkplug host for tests: subscribes to one edge node's messages (QoS 1, so the QoS
 * a message arrives with is the QoS it was published with), decodes every payload with the
 * specification's schema, keeps them in arrival order, and can publish a primary host STATE and
 * NCMD / DCMD commands.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import {
  DataType,
  decodePayload,
  encodePayload,
  type MetricValue,
  type SparkplugMetric,
  type SparkplugPayload,
} from "../../agent/sparkplug/codec.js";
import { MessageLog } from "./message-log.js";

export interface SparkplugMessage {
  topic: string;
  type: string;
  /** The device id, for D* messages. */
  device: string | undefined;
  qos: number;
  retain: boolean;
  payload: SparkplugPayload;
}

/** `tls`: a host's certificate and the CA, for an mqtts:// broker. */
export async function sparkplugHost(
  url: string,
  groupId: string,
  edgeNodeId: string,
  tls: IClientOptions = {},
) {
  const client: MqttClient = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
    ...tls,
  });
  const log = new MessageLog<SparkplugMessage>(`the Sparkplug topics of ${edgeNodeId}`);
  const { messages } = log;
  const prefix = `spBv1.0/${groupId}/`;
  client.on("message", (topic, payload, packet) => {
    const [type, edge, device] = topic.slice(prefix.length).split("/");
    if (edge !== edgeNodeId || !type) return;
    log.push({
      topic,
      type,
      device,
      qos: packet.qos,
      retain: packet.retain,
      payload: decodePayload(payload),
    });
  });
  await client.subscribeAsync(`${prefix}+/${edgeNodeId}/#`, { qos: 1 });
  await client.subscribeAsync(`${prefix}+/${edgeNodeId}`, { qos: 1 });

  const waitFor = log.waitFor.bind(log);

  const command = async (type: "NCMD" | "DCMD", device: string | undefined, metrics: SparkplugMetric[]) => {
    const topic = `${prefix}${type}/${edgeNodeId}${device ? `/${device}` : ""}`;
    const body = encodePayload({ timestamp: Date.now(), metrics });
    await client.publishAsync(topic, Buffer.from(body), { qos: 0 });
  };

  /** The metric of `name` in the latest birth of `device` ("" : the node) before message index `before`. */
  const birthMetric = (
    device: string,
    name: string,
    before = messages.length,
  ): SparkplugMetric | undefined => {
    const type = device === "" ? "NBIRTH" : "DBIRTH";
    for (let i = before - 1; i >= 0; i--) {
      const m = messages[i]!;
      if (m.type === type && (m.device ?? "") === device)
        return m.payload.metrics.find((x) => x.name === name);
    }
    return undefined;
  };

  /** The latest value of a device's metric (births by name, data by the birth's alias). */
  const latest = (device: string, name: string): MetricValue | undefined => {
    let value: MetricValue | undefined;
    let alias: number | undefined;
    for (const m of messages) {
      if ((m.device ?? "") !== device) continue;
      if (m.type === "DBIRTH" || m.type === "NBIRTH") {
        const metric = m.payload.metrics.find((x) => x.name === name);
        alias = metric?.alias;
        value = metric?.value;
      } else if (m.type === "DDATA" || m.type === "NDATA") {
        const metric = m.payload.metrics.find((x) => x.alias === alias && !x.isHistorical);
        if (metric) value = metric.value;
      }
    }
    return value;
  };

  return {
    client,
    messages,
    waitFor,
    command,
    birthMetric,
    latest,
    /** Writes one device metric by its birth alias, as a SCADA host does. */
    write: async (device: string, name: string, value: MetricValue) => {
      const metric = birthMetric(device, name);
      if (!metric) throw new Error(`no metric ${name} in ${device}'s birth`);
      await command("DCMD", device, [
        { alias: metric.alias!, timestamp: Date.now(), datatype: metric.datatype!, value },
      ]);
    },
    rebirth: () =>
      command("NCMD", undefined, [
        { name: "Node Control/Rebirth", timestamp: Date.now(), datatype: DataType.Boolean, value: true },
      ]),
    /** Publishes the primary host's retained STATE (Sparkplug 3.0 JSON). */
    state: async (hostId: string, online: boolean, timestamp = Date.now()) => {
      await client.publishAsync(`spBv1.0/STATE/${hostId}`, JSON.stringify({ online, timestamp }), {
        qos: 1,
        retain: true,
      });
    },
    close: () => client.endAsync(),
  };
}

export type SparkplugHost = Awaited<ReturnType<typeof sparkplugHost>>;
