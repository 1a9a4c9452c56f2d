/**
 * The core `mqtt-broker` config node as a ledger transport (lib/mifare/ledger/transport.ts),
 * so the loyalty ledger uses the broker settings users already have (TLS, MQTT 5, auth).
 * The API used is the one the core mqtt in/out nodes use (@node-red/nodes core/network/
 * 10-mqtt.js): register/deregister a user, subscribe/unsubscribe with a ref, publish(msg,
 * done), `connected`. The broker sets the status of its users; a stand-in user takes it
 * (to learn of connections), so the loyalty node's own status is left alone.
 */
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import type { LedgerTransport } from '../../lib/mifare/ledger';

interface MqttPacket {
  retain?: boolean;
}

/** What the core mqtt-broker node offers its users. */
interface CoreBrokerNode extends Node {
  connected?: boolean;
  register(user: BrokerUser): void;
  deregister(user: BrokerUser, done: () => void, autoDisconnect?: boolean): void;
  subscribe(topic: string, options: { qos: 0 | 1 | 2 }, callback: (topic: string, payload: Buffer, packet: MqttPacket) => void, ref: string): void;
  unsubscribe(topic: string, ref: string, removeClientSubscription?: boolean): void;
  publish(msg: { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean }, done?: (error?: Error | string) => void): void;
}

interface BrokerUser {
  id: string;
  status(status: NodeStatus): void;
}

/** A publish the broker never answered is given up after this long (the ledger sends it again later). */
const PUBLISH_TIMEOUT_MS = 15_000;

export interface CoreBrokerTransport {
  transport: LedgerTransport;
  /** Deregisters from the broker (it disconnects when it has no user left). */
  close(): Promise<void>;
}

function isCoreBroker(node: Node | null): node is CoreBrokerNode {
  const n = node as Partial<CoreBrokerNode> | null;
  return n !== null && typeof n.register === 'function' && typeof n.subscribe === 'function' && typeof n.publish === 'function';
}

/** The broker node `id` as a transport; undefined when there is no such mqtt-broker node. */
export function coreBrokerTransport(RED: NodeAPI, owner: Node, id: string): CoreBrokerTransport | undefined {
  const broker = RED.nodes.getNode(id);
  if (!isCoreBroker(broker)) return undefined;
  const listeners = new Set<() => void>();
  const ref = `${owner.id}:ledger`;
  const user: BrokerUser = {
    id: ref,
    status(status) {
      if (status.fill === 'green') for (const listener of [...listeners]) listener();
    },
  };
  const subscribed = new Set<string>();
  const transport: LedgerTransport = {
    get connected() {
      return broker.connected === true;
    },
    publish(topic, payload) {
      if (broker.connected !== true) return Promise.reject(new Error('the broker is not connected'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no acknowledgement within ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS);
        broker.publish({ topic, payload, qos: 1, retain: true }, (error) => {
          clearTimeout(timer);
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve();
        });
      });
    },
    subscribe(filter, onMessage) {
      subscribed.add(filter);
      broker.subscribe(filter, { qos: 1 }, (topic, payload) => onMessage(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload))), ref);
    },
    unsubscribe(filter) {
      subscribed.delete(filter);
      broker.unsubscribe(filter, ref, true);
    },
    onConnect(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  broker.register(user);
  return {
    transport,
    close: () =>
      new Promise<void>((resolve) => {
        listeners.clear();
        for (const filter of subscribed) broker.unsubscribe(filter, ref, true);
        broker.deregister(user, resolve, true);
      }),
  };
}
