/** A GatewayTransport over one MQTT.js client: the gateway's own connection, or one the caller owns. */
import type { MqttClient, IClientPublishOptions } from 'mqtt';
import { JpayError } from '../errors';
import type { GatewayTransport, InboundMessage, OutboundMessage } from './transport';
import { v5Properties } from './transport';

export class MqttJsTransport implements GatewayTransport {
  #client: MqttClient;
  readonly #subscriptions = new Map<string, (m: InboundMessage) => void>();
  readonly #listeners = new Set<(connected: boolean) => void>();
  #v5 = false;
  #detach: () => void = () => undefined;

  constructor(client: MqttClient) {
    this.#client = client;
    this.use(client);
  }

  /** Starts using a client (the first, or the one that replaced it after a version fallback). */
  use(client: MqttClient): void {
    this.detach();
    this.#client = client;
    this.#v5 = client.options.protocolVersion === 5;
    const onConnect = (): void => {
      // A clean session forgets subscriptions: make them again on every connection.
      for (const filter of this.#subscriptions.keys()) client.subscribe(filter, { qos: 1 });
      for (const listener of this.#listeners) listener(true);
    };
    const onClose = (): void => {
      for (const listener of this.#listeners) listener(false);
    };
    const onMessage = (topic: string, payload: Buffer, packet: unknown): void => {
      for (const [filter, handler] of this.#subscriptions) {
        if (matches(filter, topic)) handler({ topic, payload, ...v5Properties(packet) });
      }
    };
    const onError = (): void => undefined;
    client.on('connect', onConnect);
    client.on('close', onClose);
    client.on('message', onMessage);
    client.on('error', onError);
    this.#detach = () => {
      client.off('connect', onConnect);
      client.off('close', onClose);
      client.off('message', onMessage);
      client.off('error', onError);
    };
    if (client.connected) for (const filter of this.#subscriptions.keys()) client.subscribe(filter, { qos: 1 });
  }

  /** Removes this transport's listeners from the client (a client the caller owns stays connected). */
  detach(): void {
    this.#detach();
    this.#detach = () => undefined;
  }

  get client(): MqttClient {
    return this.#client;
  }

  get connected(): boolean {
    return this.#client.connected;
  }

  subscribe(filter: string, onMessage: (message: InboundMessage) => void): void {
    this.#subscriptions.set(filter, onMessage);
    if (this.#client.connected) this.#client.subscribe(filter, { qos: 1 });
  }

  unsubscribe(filter: string): void {
    if (!this.#subscriptions.delete(filter)) return;
    if (this.#client.connected) this.#client.unsubscribe(filter);
  }

  publish(message: OutboundMessage): Promise<void> {
    if (!this.#client.connected) return Promise.reject(new JpayError('not connected to the broker'));
    const options: IClientPublishOptions = { qos: message.qos, retain: message.retain };
    if (this.#v5) {
      const properties: NonNullable<IClientPublishOptions['properties']> = {};
      if (message.correlationData) properties.correlationData = message.correlationData;
      if (message.contentType) properties.contentType = message.contentType;
      options.properties = properties;
    }
    return new Promise((resolve, reject) => this.#client.publish(message.topic, message.payload, options, (error) => (error ? reject(error) : resolve())));
  }

  onConnection(listener: (connected: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** MQTT topic filter matching (`+` one level, `#` the rest). */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
