/**
 * A receipt publisher (lib/publish: the durable outbox and its MQTT connection) as a node
 * offers it to jpay-publish nodes (./mqtt-broker-api.ts): its state for their statuses and
 * its log lines. Used by jpay-publish over the core mqtt-broker node (one outbox per
 * jpay-publish node) and by the deprecated jpay-mqtt-broker config node (its own connection).
 */
import type { Node, NodeAPI } from 'node-red';
import { createReceiptPublisher, type ReceiptPublisher, type ReceiptPublisherOptions } from '../../lib/publish';
import type { BrokerState, BrokerUser, JpayMqttBrokerApi } from './mqtt-broker-api';

export interface ReceiptOutbox {
  api: JpayMqttBrokerApi;
  /** Closes the publisher (the journal keeps what the broker has not acknowledged). */
  close(): Promise<void>;
}

/**
 * Opens the outbox. `ns` is the i18n namespace of the node's log lines (`<ns>.log.replay`,
 * `<ns>.warn.corrupt`, `<ns>.warn.broker`, `<ns>.warn.user-failed`, `<ns>.errors.open`).
 */
export function openReceiptOutbox(RED: NodeAPI, node: Node, ns: string, options: ReceiptPublisherOptions): ReceiptOutbox {
  const users = new Set<BrokerUser>();
  let state: BrokerState = { state: 'connecting', queued: 0 };

  const update = (patch: Partial<BrokerState>): void => {
    if (state.state === 'closed') return;
    state = { ...state, ...patch };
    for (const user of users) {
      try {
        user.onBrokerState(state);
      } catch (err) {
        node.warn(RED._(`${ns}.warn.user-failed`, { error: (err as Error).message }));
      }
    }
  };

  const ready: Promise<ReceiptPublisher> = createReceiptPublisher(options).then(
    (publisher) => {
      if (publisher.loadReport.pending > 0) node.log(RED._(`${ns}.log.replay`, { count: publisher.loadReport.pending }));
      if (publisher.loadReport.backupPath) node.warn(RED._(`${ns}.warn.corrupt`, { count: publisher.loadReport.corruptLines, file: publisher.loadReport.backupPath }));
      publisher.on('connected', () => update({ state: 'connected', queued: publisher.queued }));
      publisher.on('offline', () => update({ state: 'offline', queued: publisher.queued }));
      publisher.on('queued', (e) => update({ queued: e.queued }));
      publisher.on('sent', (e) => update({ queued: e.queued }));
      publisher.on('warning', (err) => node.warn(RED._(`${ns}.warn.broker`, { error: err.message })));
      update({ queued: publisher.queued, state: publisher.connected ? 'connected' : state.state });
      return publisher;
    },
    (err: Error) => {
      update({ state: 'failed', error: err.message });
      node.error(RED._(`${ns}.errors.open`, { error: err.message }));
      throw err;
    },
  );
  ready.catch(() => undefined);

  return {
    api: {
      id: node.id,
      get state() {
        return state;
      },
      publisher: () => ready,
      registerUser(user) {
        users.add(user);
        user.onBrokerState(state);
      },
      deregisterUser(user) {
        users.delete(user);
      },
    },
    async close() {
      state = { ...state, state: 'closed' };
      users.clear();
      await ready.then((publisher) => publisher.close(), () => undefined);
    },
  };
}
