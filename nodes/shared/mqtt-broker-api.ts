/**
 * What a `jpay-mqtt-broker` config node offers the nodes that use it: its one receipt
 * publisher (one MQTT connection, one outbox journal) and its state for node statuses.
 */
import type { Node, NodeAPI } from 'node-red';
import type { ReceiptPublisher } from '../../lib/publish';

export const BROKER_API_PROPERTY = 'jpayMqttBroker';

export interface BrokerState {
  /** `failed`: the outbox journal could not be opened (see `error`); nothing can be published. */
  state: 'connecting' | 'connected' | 'offline' | 'failed' | 'closed';
  /** Receipts stored and not yet acknowledged by the broker. */
  queued: number;
  error?: string;
}

export interface BrokerUser {
  id: string;
  /** Called on registration and on every change of state or queue length. */
  onBrokerState(state: BrokerState): void;
}

export interface JpayMqttBrokerApi {
  readonly id: string;
  readonly state: BrokerState;
  /** The publisher once its journal is open; rejects when it cannot be opened. */
  publisher(): Promise<ReceiptPublisher>;
  registerUser(user: BrokerUser): void;
  deregisterUser(user: BrokerUser): void;
}

type BrokerConfigNode = Node & { [BROKER_API_PROPERTY]?: JpayMqttBrokerApi };

/** The API of the jpay-mqtt-broker config node `id`, if it exists and is running. */
export function getBroker(RED: NodeAPI, id: string | undefined): JpayMqttBrokerApi | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  const node = RED.nodes.getNode(id) as BrokerConfigNode | null;
  const api = node?.[BROKER_API_PROPERTY];
  return api && api.state.state !== 'closed' ? api : undefined;
}
