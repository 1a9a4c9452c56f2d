/**
 * What a gateway needs from an MQTT connection. The library gives it one over MQTT.js
 * (mqtt-transport.ts); the Node-RED node, one over the core mqtt-broker config node. The
 * gateway never connects or disconnects: the transport's owner does.
 */

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** MQTT 5 properties of a request. */
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface OutboundMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  /** MQTT 5: echoed from the request (ignored on MQTT 3.1.1). */
  correlationData?: Buffer;
  /** MQTT 5 content type (ignored on MQTT 3.1.1). */
  contentType?: string;
}

export interface GatewayTransport {
  readonly connected: boolean;
  /** Subscribes (QoS 1), now or when connected, and again after every reconnect. */
  subscribe(filter: string, onMessage: (message: InboundMessage) => void): void;
  unsubscribe(filter: string): void;
  /** Resolves when sent (QoS 0) or acknowledged (QoS 1); rejects when not connected or refused. */
  publish(message: OutboundMessage): Promise<void>;
  /** Called with true on every (re)connect and false on every loss; returns the remover. */
  onConnection(listener: (connected: boolean) => void): () => void;
}

/** The MQTT 5 properties of a received packet, when there are any. */
export function v5Properties(packet: unknown): { responseTopic?: string; correlationData?: Buffer } {
  const props = (packet as { properties?: { responseTopic?: unknown; correlationData?: unknown } } | undefined)?.properties;
  const out: { responseTopic?: string; correlationData?: Buffer } = {};
  if (typeof props?.responseTopic === 'string') out.responseTopic = props.responseTopic;
  if (Buffer.isBuffer(props?.correlationData)) out.correlationData = props.correlationData;
  return out;
}
