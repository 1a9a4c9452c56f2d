/**
 * jpay-publish: publishes the receipt of a transaction result (msg.payload.receipt) through
 * a durable outbox, then passes the msg on — only once the receipt is on disk, so whatever
 * follows may report the sale done. The broker is Node-RED's core mqtt-broker config node
 * (its TLS, MQTT 5, account and will); this node keeps its own outbox journal in front of
 * it. A flow made with the deprecated jpay-mqtt-broker keeps using that node's outbox.
 */
import path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ERROR_CODES, JpayFlowError, toFlowError } from '../shared/errors';
import { JpayValidationError } from '../../lib/errors';
import { OutboxError } from '../../lib/publish/errors';
import type { Receipt } from '../../lib/protocol/types';
import { CoreBrokerTransport, getCoreBroker } from '../shared/core-mqtt-transport';
import { BROKER_API_PROPERTY, getBroker, type BrokerState, type BrokerUser, type JpayMqttBrokerApi } from '../shared/mqtt-broker-api';
import { openReceiptOutbox } from '../shared/receipt-outbox';
import { configError, refuseToStart, showStatus } from '../shared/status';
import type { NodeSetup } from '../shared/register';
import { isRecord } from '../../lib/objects';

const NS = 'jpay-publish';

interface JpayPublishDef extends NodeDef {
  /** A core mqtt-broker config node (or, in older flows, a jpay-mqtt-broker). */
  broker: string;
  /** Topic level for the terminal; empty = the receipt's tid. */
  terminalId?: string;
  /** Topic prefix (one or more levels); empty = `jpay`. With a core broker only. */
  prefix?: string;
  /** The outbox journal; empty = `<userDir>/jpay/mqtt-outbox-<node id>.jsonl`. With a core broker only. */
  journalFile?: string;
}

/** Outbox errors keep their own code (`outbox-full`…) as `outboxCode` for Catch nodes. */
function flowError(err: unknown): Error {
  if (err instanceof OutboxError) return Object.assign(new JpayFlowError(ERROR_CODES.other, err.message), { name: 'OutboxError', outboxCode: err.code });
  return toFlowError(err);
}

export function setupOf(RED: NodeAPI): NodeSetup<JpayPublishDef> {
  /** The outbox this node publishes through: a jpay-mqtt-broker's, or its own over a core mqtt-broker. */
  function outboxOf(node: Node, config: JpayPublishDef): { api: JpayMqttBrokerApi; close(): Promise<void> } | undefined {
    const legacy = getBroker(RED, config.broker);
    if (legacy) return { api: legacy, close: async () => undefined };
    const core = getCoreBroker(RED, config.broker);
    if (!core) return undefined;
    const transport = new CoreBrokerTransport(core, node.id);
    const userDir = (RED.settings as unknown as { userDir?: unknown }).userDir;
    const journalFile = String(config.journalFile ?? '').trim();
    const base = typeof userDir === 'string' ? userDir : process.cwd();
    const outbox = openReceiptOutbox(RED, node, NS, {
      transport,
      journalPath: journalFile === '' ? path.join(base, 'jpay', `mqtt-outbox-${node.id}.jsonl`) : path.resolve(base, journalFile),
      prefix: String(config.prefix ?? '').trim() || undefined,
    });
    // Its own outbox is found like a jpay-mqtt-broker's (getBroker): the operator sidebar shows its backlog.
    (node as unknown as Record<string, unknown>)[BROKER_API_PROPERTY] = outbox.api;
    return {
      api: outbox.api,
      close: async () => {
        await outbox.close();
        await transport.close();
      },
    };
  }

  function setup(node: Node, config: JpayPublishDef): void {
    const outbox = outboxOf(node, config);
    const broker = outbox?.api;
    if (!outbox || !broker) {
      refuseToStart(node, `${NS}.status.noBroker`, configError(RED._(`${NS}.errors.no-broker`)));
      return;
    }

    // The queue's length is in each msg (receiptQueued) and the broker node's log: the status says only whether receipts wait.
    const show = (s: BrokerState): void => {
      const queued = s.queued > 0;
      if (s.state === 'connected') showStatus(node, 'ok', queued ? `${NS}.status.connectedQueued` : `${NS}.status.connected`);
      else if (s.state === 'connecting') showStatus(node, 'busy', queued ? `${NS}.status.connectingQueued` : `${NS}.status.connecting`);
      else if (s.state === 'offline') showStatus(node, 'error', queued ? `${NS}.status.offlineQueued` : `${NS}.status.offline`);
      else if (s.state === 'failed') showStatus(node, 'error', `${NS}.status.failed`);
    };
    const user: BrokerUser = { id: node.id, onBrokerState: show };
    broker.registerUser(user);
    const pending = new Set<Promise<unknown>>();

    node.on('input', (msg: NodeMessage & { receiptId?: string; receiptQueued?: number }, send, done) => {
      const payload = msg.payload;
      const receipt = isRecord(payload) ? payload.receipt : undefined;
      if (!isRecord(receipt)) {
        // A result without a receipt (cancelled, declined before the card…): nothing to publish.
        send(msg);
        done();
        return;
      }
      const terminalId = (config.terminalId ?? '').trim() || (typeof receipt.tid === 'string' ? receipt.tid.trim() : '');
      if (terminalId === '') {
        done(toFlowError(new JpayValidationError('terminalId', RED._(`${NS}.errors.no-terminal-id`))));
        return;
      }
      const meta: Record<string, unknown> = {};
      if (isRecord(payload) && isRecord(payload.request)) meta.request = payload.request;
      if (isRecord(payload) && typeof payload.status === 'string') meta.status = payload.status;
      const work = broker
        .publisher()
        .then((publisher) => publisher.publishReceipt(terminalId, receipt as unknown as Receipt, { meta }))
        .then(
          (result) => {
            msg.receiptId = result.receiptId;
            msg.receiptQueued = result.queued;
            send(msg);
            done();
          },
          (err: unknown) => done(flowError(err)),
        );
      pending.add(work);
      void work.finally(() => pending.delete(work));
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      void Promise.allSettled([...pending])
        .then(() => {
          broker.deregisterUser(user);
          showStatus(node, 'clear');
          return outbox.close();
        })
        .then(done, done);
    });
  }

  return setup;
}
