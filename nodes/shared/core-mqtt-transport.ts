/**
 * Node-RED's core `mqtt-broker` config node (10-mqtt.js) as the transport of the gateway
 * (lib/gateway) and of the loyalty shadow ledger (lib/mifare/ledger), so both use the
 * user's broker settings: TLS (tls-config), MQTT 5, credentials, birth, close and
 * last-will messages. The config node owns the connection; this registers one user with
 * it, whose status calls tell the connection state.
 */
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import { JpayError } from '../../lib/errors';
import { v5Properties, type GatewayTransport, type InboundMessage, type OutboundMessage } from '../../lib/gateway/transport';
import type { LedgerTransport } from '../../lib/mifare/ledger';

/** A publish the broker never acknowledged is given up after this long (its sender decides what next). */
const PUBLISH_TIMEOUT_MS = 15_000;

/** The part of the core mqtt-broker node a gateway uses. */
export interface CoreBrokerNode extends Node {
  connected?: boolean;
  options?: { protocolVersion?: number };
  register(user: BrokerUserProxy): void;
  deregister(user: BrokerUserProxy, done: () => void, autoDisconnect?: boolean): void;
  subscribe(topic: string, options: { qos: number }, callback: (topic: string, payload: Buffer, packet: unknown) => void, ref: string): void;
  unsubscribe(topic: string, ref: string, removeClientSubscription?: boolean): void;
  publish(msg: Record<string, unknown>, done?: (error?: Error | string) => void): void;
}

interface BrokerUserProxy {
  id: string;
  status(status: NodeStatus): void;
}

/** The core mqtt-broker node `id`, when it exists and is one. */
export function getCoreBroker(RED: NodeAPI, id: string | undefined): CoreBrokerNode | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  const node = RED.nodes.getNode(id) as (Node & Partial<CoreBrokerNode>) | null;
  return node && typeof node.register === 'function' && typeof node.publish === 'function' && typeof node.subscribe === 'function' ? (node as CoreBrokerNode) : undefined;
}

export class CoreBrokerTransport implements GatewayTransport {
  readonly #broker: CoreBrokerNode;
  readonly #ref: string;
  readonly #proxy: BrokerUserProxy;
  readonly #listeners = new Set<(connected: boolean) => void>();
  readonly #topics = new Set<string>();
  #connected: boolean;

  /** Registers with the broker node (which connects when its first user registers). */
  readonly #publishTimeoutMs: number;

  constructor(broker: CoreBrokerNode, ref: string, publishTimeoutMs = PUBLISH_TIMEOUT_MS) {
    this.#publishTimeoutMs = publishTimeoutMs;
    this.#broker = broker;
    this.#ref = ref;
    this.#connected = broker.connected === true;
    this.#proxy = {
      id: `${ref}:transport`,
      // The broker node reports its connection to its users through their status.
      status: (status) => {
        const up = status.text === 'node-red:common.status.connected';
        if (up === this.#connected) return;
        this.#connected = up;
        for (const listener of this.#listeners) listener(up);
      },
    };
    broker.register(this.#proxy);
  }

  get connected(): boolean {
    return this.#connected && this.#broker.connected === true;
  }

  subscribe(filter: string, onMessage: (message: InboundMessage) => void): void {
    this.#topics.add(filter);
    this.#broker.subscribe(filter, { qos: 1 }, (topic, payload, packet) => onMessage({ topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload)), ...v5Properties(packet) }), this.#ref);
  }

  unsubscribe(filter: string): void {
    if (!this.#topics.delete(filter)) return;
    this.#broker.unsubscribe(filter, this.#ref, true);
  }

  publish(message: OutboundMessage): Promise<void> {
    // The broker node drops a publish while disconnected without calling back.
    if (!this.connected) return Promise.reject(new JpayError('the mqtt-broker is not connected'));
    const msg: Record<string, unknown> = { topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain };
    if (message.correlationData) msg.correlationData = message.correlationData;
    if (message.contentType) msg.contentType = message.contentType;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new JpayError(`the mqtt-broker did not acknowledge within ${this.#publishTimeoutMs} ms`)), this.#publishTimeoutMs);
      this.#broker.publish(msg, (error) => {
        clearTimeout(timer);
        if (error) reject(error instanceof Error ? error : new JpayError(String(error)));
        else resolve();
      });
    });
  }

  onConnection(listener: (connected: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Leaves the broker node (it disconnects when its last user leaves). */
  close(): Promise<void> {
    for (const filter of [...this.#topics]) this.unsubscribe(filter);
    this.#listeners.clear();
    return new Promise((resolve) => this.#broker.deregister(this.#proxy, () => resolve(), true));
  }
}

/** The same broker user as the shadow ledger's transport: retained records at QoS 1. */
export function ledgerTransport(broker: CoreBrokerTransport): LedgerTransport {
  return {
    get connected() {
      return broker.connected;
    },
    publish: (topic, payload) => broker.publish({ topic, payload, qos: 1, retain: true }),
    subscribe: (filter, onMessage) => broker.subscribe(filter, (message) => onMessage(message.topic, message.payload)),
    unsubscribe: (filter) => broker.unsubscribe(filter),
    onConnect: (listener) => broker.onConnection((connected) => connected && listener()),
  };
}
