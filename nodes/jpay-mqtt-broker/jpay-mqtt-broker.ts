/**
 * jpay-mqtt-broker (config node): one ReceiptPublisher — an MQTT connection and its durable
 * outbox journal — shared by the jpay-publish nodes that use it (nodes/shared/mqtt-broker-api.ts).
 */
import path from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { onFirstUse } from '../../lib/lazy';
import type * as Publish from '../../lib/publish';
import type { ReceiptPublisher } from '../../lib/publish';
import { BROKER_API_PROPERTY, type BrokerState, type BrokerUser, type JpayMqttBrokerApi } from '../shared/mqtt-broker-api';

// The publisher (with the MQTT client) loads when the first broker node is created, not
// when Node-RED starts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const publish = onFirstUse(() => require('../../lib/publish') as typeof Publish);

interface JpayMqttBrokerDef extends NodeDef {
  host: string;
  port: string | number;
  tls?: boolean;
  /** With TLS: check the broker's certificate (default true). */
  tlsVerify?: boolean;
  clientId?: string;
  prefix?: string;
  journalFile?: string;
  /** Terminal id whose status topic carries this connection's last will. */
  statusTerminal?: string;
  /** Receipts per second while a backlog is replayed (empty: the library's default; 0: no limit). */
  replayRate?: string | number;
}

type Credentials = { username: string; password: string };

const NS = 'jpay-mqtt-broker';

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

export = function register(RED: NodeAPI): void {
  function JpayMqttBrokerNode(this: Node<Credentials>, config: JpayMqttBrokerDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node<Credentials>, config: JpayMqttBrokerDef): void {
    const tls = config.tls === true;
    const port = text(String(config.port ?? '')) === '' ? (tls ? 8883 : 1883) : Number(config.port);
    const userDir = (RED.settings as unknown as { userDir?: unknown }).userDir;
    const journalPath = text(config.journalFile) || path.join(typeof userDir === 'string' ? userDir : process.cwd(), 'jpay', `mqtt-outbox-${node.id}.jsonl`);
    const users = new Set<BrokerUser>();
    let state: BrokerState = { state: 'connecting', queued: 0 };

    const update = (patch: Partial<BrokerState>): void => {
      if (state.state === 'closed') return;
      state = { ...state, ...patch };
      for (const user of users) {
        try {
          user.onBrokerState(state);
        } catch (err) {
          node.warn(RED._(`${NS}.warn.user-failed`, { error: (err as Error).message }));
        }
      }
    };

    const ready: Promise<ReceiptPublisher> = publish().createReceiptPublisher({
      host: text(config.host),
      port,
      tls: tls ? { rejectUnauthorized: config.tlsVerify !== false } : undefined,
      clientId: text(config.clientId) || undefined,
      username: text(node.credentials?.username) || undefined,
      password: node.credentials?.password || undefined,
      prefix: text(config.prefix) || undefined,
      journalPath,
      terminalId: text(config.statusTerminal) || undefined,
      replayRate: text(String(config.replayRate ?? '')) === '' ? undefined : Number(config.replayRate),
    }).then(
      (publisher) => {
        if (publisher.loadReport.pending > 0) node.log(RED._(`${NS}.log.replay`, { count: publisher.loadReport.pending }));
        if (publisher.loadReport.backupPath) node.warn(RED._(`${NS}.warn.corrupt`, { count: publisher.loadReport.corruptLines, file: publisher.loadReport.backupPath }));
        publisher.on('connected', () => update({ state: 'connected', queued: publisher.queued }));
        publisher.on('offline', () => update({ state: 'offline', queued: publisher.queued }));
        publisher.on('queued', (e) => update({ queued: e.queued }));
        publisher.on('sent', (e) => update({ queued: e.queued }));
        publisher.on('warning', (err) => node.warn(RED._(`${NS}.warn.broker`, { error: err.message })));
        update({ queued: publisher.queued, state: publisher.connected ? 'connected' : state.state });
        return publisher;
      },
      (err: Error) => {
        update({ state: 'failed', error: err.message });
        node.error(RED._(`${NS}.errors.open`, { error: err.message }));
        throw err;
      },
    );
    ready.catch(() => undefined);

    const api: JpayMqttBrokerApi = {
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
    };
    (node as unknown as Record<string, unknown>)[BROKER_API_PROPERTY] = api;

    node.on('close', (_removed: boolean, done: () => void) => {
      state = { ...state, state: 'closed' };
      users.clear();
      ready.then((publisher) => publisher.close(), () => undefined).then(() => done(), () => done());
    });
  }

  RED.nodes.registerType<Node<Credentials>, JpayMqttBrokerDef, unknown, Credentials>('jpay-mqtt-broker', JpayMqttBrokerNode, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
};
