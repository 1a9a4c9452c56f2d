/**
 * jpay-publish: publishes the receipt of a transaction result (msg.payload.receipt) through
 * a jpay-mqtt-broker's durable outbox, then passes the msg on — only once the receipt is
 * on disk, so whatever follows may report the sale done.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ERROR_CODES, JpayFlowError, toFlowError } from '../shared/errors';
import { JpayValidationError } from '../../lib/errors';
import { OutboxError } from '../../lib/publish/errors';
import type { Receipt } from '../../lib/protocol/types';
import { getBroker, type BrokerState, type BrokerUser } from '../shared/mqtt-broker-api';

const NS = 'jpay-publish';

interface JpayPublishDef extends NodeDef {
  broker: string;
  /** Topic level for the terminal; empty = the receipt's tid. */
  terminalId?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Outbox errors keep their own code (`outbox-full`…) as `outboxCode` for Catch nodes. */
function flowError(err: unknown): Error {
  if (err instanceof OutboxError) return Object.assign(new JpayFlowError(ERROR_CODES.other, err.message), { name: 'OutboxError', outboxCode: err.code });
  return toFlowError(err);
}

export = function register(RED: NodeAPI): void {
  function JpayPublishNode(this: Node, config: JpayPublishDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: JpayPublishDef): void {
    const broker = getBroker(RED, config.broker);
    if (!broker) {
      const error = new JpayFlowError(ERROR_CODES.other, RED._(`${NS}.errors.no-broker`));
      node.status({ fill: 'red', shape: 'ring', text: `${NS}.status.noBroker` });
      node.error(error.message);
      node.on('input', (_msg, _send, done) => done(error));
      return;
    }

    const show = (s: BrokerState): void => {
      const queued = { queued: s.queued };
      if (s.state === 'connected') node.status({ fill: 'green', shape: 'dot', text: RED._(`${NS}.status.connected`, queued) });
      else if (s.state === 'connecting') node.status({ fill: 'yellow', shape: 'ring', text: RED._(`${NS}.status.connecting`, queued) });
      else if (s.state === 'offline') node.status({ fill: 'red', shape: 'ring', text: RED._(`${NS}.status.offline`, queued) });
      else if (s.state === 'failed') node.status({ fill: 'red', shape: 'ring', text: RED._(`${NS}.status.failed`) });
    };
    const user: BrokerUser = { id: node.id, onBrokerState: show };
    broker.registerUser(user);
    const pending = new Set<Promise<unknown>>();

    node.on('input', (msg: NodeMessage & { receiptId?: string; receiptQueued?: number }, send, done) => {
      const payload = msg.payload;
      const receipt = isObject(payload) ? payload.receipt : undefined;
      if (!isObject(receipt)) {
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
      if (isObject(payload) && isObject(payload.request)) meta.request = payload.request;
      if (isObject(payload) && typeof payload.status === 'string') meta.status = payload.status;
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
      void Promise.allSettled([...pending]).then(() => {
        broker.deregisterUser(user);
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('jpay-publish', JpayPublishNode);
};
