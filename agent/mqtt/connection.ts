/**
 * The MQTT connection's shapes and constants, shared by the agent's publisher (./publisher.ts),
 * the Sparkplug edge node's session and `photon-bench ctl`.
 */
import type { MqttClient } from "mqtt";
import type { DurableOutbox } from "./outbox.js";

export interface OutgoingMessage {
  topic: string;
  payload: string;
  retain: boolean;
  /** MQTT 5 only: the correlation data of the request this answers (dropped on 3.1.1). */
  correlationData?: Buffer;
}

export interface PublisherOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM contents for mqtts:// (CA, client certificate and key). */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } | undefined;
  protocolVersion: "auto" | 4 | 5;
  keepaliveS: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** MQTT 5: how long the broker keeps the session after a disconnect. */
  sessionExpiryS: number;
  /** Where event messages wait until the broker has them. */
  outbox: DurableOutbox;
  will: OutgoingMessage;
  /** Messages published first on every (re)connect, e.g. the retained `online` status. */
  birth: () => OutgoingMessage[];
  /** The connection was lost (after having been up), or is up again after a loss. */
  onConnectionChange?: (connected: boolean) => void;
}

export interface PublisherStats {
  connected: boolean;
  protocolVersion: 4 | 5;
  connects: number;
  published: number;
  queued: number;
  dropped: number;
  /** The 99th percentile of the broker's acknowledgement time of the last 1024 event messages, ms. */
  publishAckP99Ms: number;
}

/**
 * Sends small packets at once. MQTT.js leaves Nagle's algorithm on; with the peer's delayed ACK a
 * request and its response each waited ~40 ms on loopback (88 ms a round trip in bench/control.ts).
 */
export function sendImmediately(client: MqttClient): void {
  const stream = client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined;
  stream?.setNoDelay?.(true);
}

/** Event messages handed to the client per turn of the event loop. */
export const PUMP_CHUNK = 200;

/** A connection that holds this long resets the reconnect backoff. */
export const STABLE_CONNECTION_MS = 10_000;

/** Responses and status messages held in memory while the broker is away. */
export const VOLATILE_LIMIT = 1000;

/** CONNACK codes for "unsupported protocol version": 1 in MQTT 3.1.1, 0x84 in MQTT 5. */
export const PROTOCOL_REFUSED = new Set([1, 0x84]);
