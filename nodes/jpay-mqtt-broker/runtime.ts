/**
 * jpay-mqtt-broker (config node, deprecated): one ReceiptPublisher — an MQTT connection of
 * its own and its durable outbox journal — shared by the jpay-publish nodes that use it
 * (nodes/shared/mqtt-broker-api.ts). New flows give jpay-publish the core mqtt-broker node
 * instead; flows made with this one keep working.
 */
import path from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { BROKER_API_PROPERTY } from '../shared/mqtt-broker-api';
import { openReceiptOutbox } from '../shared/receipt-outbox';
import type { NodeSetup } from '../shared/register';

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

export function setupOf(RED: NodeAPI): NodeSetup<JpayMqttBrokerDef, Credentials> {
  function setup(node: Node<Credentials>, config: JpayMqttBrokerDef): void {
    const tls = config.tls === true;
    const port = text(String(config.port ?? '')) === '' ? (tls ? 8883 : 1883) : Number(config.port);
    const userDir = (RED.settings as unknown as { userDir?: unknown }).userDir;
    const journalPath = text(config.journalFile) || path.join(typeof userDir === 'string' ? userDir : process.cwd(), 'jpay', `mqtt-outbox-${node.id}.jsonl`);
    const outbox = openReceiptOutbox(RED, node, NS, {
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
    });
    (node as unknown as Record<string, unknown>)[BROKER_API_PROPERTY] = outbox.api;

    node.on('close', (_removed: boolean, done: () => void) => {
      outbox.close().then(() => done(), () => done());
    });
  }

  return setup;
}
