/**
 * How the ledger reaches the broker: a small publish/subscribe interface, so the library
 * takes an MQTT.js client (mqttClientTransport) and the Node-RED node the core mqtt-broker
 * config node, without the ledger knowing either.
 */
import type { MqttClient } from 'mqtt';

export interface LedgerTransport {
  /** True while connected to the broker: the ledger publishes only then. */
  readonly connected: boolean;
  /** Publishes retained at QoS 1; resolves once the broker acknowledged, rejects otherwise. */
  publish(topic: string, payload: string): Promise<void>;
  /** Subscribes at QoS 1 (retained messages arrive first); `onMessage` only gets topics matching `filter`. */
  subscribe(filter: string, onMessage: (topic: string, payload: Buffer) => void): void;
  unsubscribe(filter: string): void;
  /** Called on every (re)connection; returns the function that removes the listener. */
  onConnect?(listener: () => void): () => void;
}

/** MQTT topic filter matching (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** An MQTT.js client as a ledger transport (the client's connection is the caller's). */
export function mqttClientTransport(client: MqttClient): LedgerTransport {
  const handlers = new Map<string, (topic: string, payload: Buffer) => void>();
  client.on('message', (topic, payload) => {
    for (const [filter, handler] of handlers) if (topicMatches(filter, topic)) handler(topic, payload);
  });
  return {
    get connected() {
      return client.connected;
    },
    publish(topic, payload) {
      return new Promise((resolve, reject) => {
        client.publish(topic, payload, { qos: 1, retain: true }, (error) => (error ? reject(error) : resolve()));
      });
    },
    subscribe(filter, onMessage) {
      handlers.set(filter, onMessage);
      client.subscribe(filter, { qos: 1 });
    },
    unsubscribe(filter) {
      handlers.delete(filter);
      client.unsubscribe(filter);
    },
    onConnect(listener) {
      client.on('connect', listener);
      return () => client.off('connect', listener);
    },
  };
}
