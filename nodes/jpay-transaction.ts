/**
 * jpay-transaction: msg.payload → one transaction on the terminal. Output 1: the result;
 * output 2: progress (display, SBP QR code, keepalive). msg.cancel aborts it. The logic
 * lives in lib/flow; this file wires it to Node-RED.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { TransactionOutcomeUnknown } from '../lib/errors';
import { ERROR_CODES, JpayFlowError, outcomeUnknownPayload, toFlowError } from '../lib/flow/errors';
import { displayProgress, keepaliveProgress, qrProgress, resolveLanguage, shortStatusText, type ProgressPayload } from '../lib/flow/progress';
import {
  buildTransactionRequest,
  parseTransactionDefaults,
  type FlowTransactionRequest,
  type TransactionDefaultsConfig,
} from '../lib/flow/transaction-input';
import { statusText, transactionPayload } from '../lib/flow/transaction-output';
import type { Language } from '../lib/protocol/types';
import { connectUser, derivedMessage, type UserNode } from './shared/user-node';

const NS = 'jpay-transaction';

interface JpayTransactionDef extends NodeDef, TransactionDefaultsConfig {
  terminal: string;
  includePan?: boolean;
}

type Send = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[]) => void;
type Done = (err?: Error) => void;

export = function register(RED: NodeAPI): void {
  function JpayTransactionNode(this: Node, config: JpayTransactionDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: JpayTransactionDef): void {
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;

    let defaults: Partial<FlowTransactionRequest>;
    try {
      defaults = parseTransactionDefaults(config);
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: `${NS}.status.badConfig` });
      node.error((err as Error).message);
      const error = toFlowError(err);
      node.on('input', (_msg, _send, done) => done(error));
      return;
    }

    let running: AbortController | undefined;
    user.onClose(() => running?.abort());

    node.on('input', (msg, send, done) => {
      if (msg.cancel === true) {
        if (running) {
          running.abort();
          user.status('busy', `${NS}.status.cancelling`);
        } else {
          node.warn(RED._(`${NS}.errors.nothing-to-cancel`));
        }
        done();
        return;
      }
      if (running) {
        done(new JpayFlowError(ERROR_CODES.busy, RED._(`${NS}.errors.busy`)));
        return;
      }
      let request: FlowTransactionRequest;
      try {
        request = buildTransactionRequest(msg.payload, defaults);
      } catch (err) {
        user.fail(done, err);
        return;
      }
      const abort = new AbortController();
      running = abort;
      void user.track(run(user, msg, send, done, request, abort.signal)).finally(() => {
        if (running === abort) running = undefined;
      });
    });

    async function run(user: UserNode, msg: NodeMessageInFlow, send: Send, done: Done, request: FlowTransactionRequest, signal: AbortSignal): Promise<void> {
      const terminal = user.terminal;
      let language: Language = terminal.language === 'auto' ? 'en' : terminal.language;
      const progress = (payload: ProgressPayload): void => {
        if (!user.closing) send([null, derivedMessage(RED, msg, payload.event, payload)]);
      };
      user.status('busy', terminal.state.state === 'busy' ? `${NS}.status.queued` : `${NS}.status.running`);
      try {
        const result = await terminal.client.transaction(request, {
          signal,
          handlers: {
            ...terminal.transactionHandlers({ nodeId: node.id, msgid: msg._msgid, request }),
            display: (m) => {
              const p = displayProgress(m, terminal.language);
              language = resolveLanguage(terminal.language, m.language);
              if (p.event === 'display' && p.text !== '') user.status('busy', shortStatusText(p.text));
              progress(p);
            },
            displayqrcode: (m) => progress(qrProgress(m)),
            keepalive: (info) => progress(keepaliveProgress(info.count)),
          },
        });
        msg.payload = transactionPayload(result, request, { includePlainTextPan: config.includePan === true, language });
        if (result.approved) user.status('ok', `${NS}.status.approved`);
        else user.status('error', result.status === 'cancelled' ? `${NS}.status.cancelled` : `${NS}.status.declined`);
        send([msg, null]);
        done();
      } catch (err) {
        if (err instanceof Error && err.name === 'AbortError') {
          // Cancelled before anything reached the terminal: nothing to reverse.
          msg.payload = { status: 'cancelled', statusText: statusText('cancelled', language), ok: false, approved: false, sent: false, errors: [], request };
          user.status('error', `${NS}.status.cancelled`);
          send([msg, null]);
          done();
          return;
        }
        if (err instanceof TransactionOutcomeUnknown) {
          msg.payload = outcomeUnknownPayload(err);
          user.fail(done, err, `${NS}.status.outcomeUnknown`);
          return;
        }
        user.fail(done, err);
      }
    }
  }

  RED.nodes.registerType('jpay-transaction', JpayTransactionNode);
};
