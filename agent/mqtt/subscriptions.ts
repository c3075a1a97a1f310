/**
 * The agent's subscriptions: each filter with its handler and QoS, taken again on every
 * connection (the broker may have lost the session), and each incoming message handed to the
 * handler of the filter it matches (`filter` may end in `/#`).
 */
import type { IPublishPacket, MqttClient } from "mqtt";
import type { Logger } from "../../hal/logger.js";

/** A message on a subscribed topic, with the MQTT 5 reply address when the sender gave one. */
export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  responseTopic?: string;
  correlationData?: Buffer;
  /** A retained message the broker replayed at subscribe time (not sent just now). */
  retain: boolean;
}

export type MessageHandler = (message: IncomingMessage) => void;

export class Subscriptions {
  private readonly table = new Map<string, { handler: MessageHandler; qos: 0 | 1 }>();

  constructor(private readonly logger: Logger) {}

  add(filter: string, handler: MessageHandler, qos: 0 | 1): void {
    this.table.set(filter, { handler, qos });
  }

  /** Subscribes `filter` on `client`; resolves when the broker has answered (a refusal is logged, not thrown). */
  take(client: MqttClient, filter: string): Promise<void> {
    const qos = this.table.get(filter)?.qos ?? 1;
    return new Promise((resolve) => {
      client.subscribe(filter, { qos }, (err, granted) => {
        const refused = granted?.some((g) => g.qos === 128);
        if (err || refused)
          this.logger.error(
            { filter, err: err?.message ?? "refused by the broker (ACL?)" },
            "could not subscribe: commands will not arrive",
          );
        resolve();
      });
    });
  }

  /** Every filter again, on a new connection. */
  async takeAll(client: MqttClient): Promise<void> {
    await Promise.all([...this.table.keys()].map((filter) => this.take(client, filter)));
  }

  /** Hands a received message to the handler of the first filter it matches (none: ignored). */
  dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const handler = this.handlerFor(topic);
    if (!handler) return;
    const props = packet.properties;
    handler({
      topic,
      payload,
      retain: packet.retain,
      ...(props?.responseTopic ? { responseTopic: props.responseTopic } : {}),
      ...(props?.correlationData ? { correlationData: props.correlationData } : {}),
    });
  }

  private handlerFor(topic: string): MessageHandler | undefined {
    for (const [filter, { handler }] of this.table) {
      if (filter === topic) return handler;
      if (filter.endsWith("/#") && topic.startsWith(filter.slice(0, -1))) return handler;
    }
    return undefined;
  }
}
