/**
 * jpay-transaction: msg.payload → one transaction on the terminal. Output 1: the result;
 * output 2: progress (display, SBP QR code, keepalive); output 3: recovered outcomes — a
 * transaction whose answer was lost, resolved by the terminal's recovery (its report).
 * msg.cancel aborts a running transaction. The logic lives in lib/flow; this file wires it
 * to Node-RED.
 */
import { randomUUID } from 'node:crypto';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { TransactionOutcomeUnknown } from '../lib/errors';
import { recoveryPayload, unsettledPayload, type RecoveryPayload } from '../lib/flow/recovery-payload';
import type { RecoveredEvent } from '../lib/flow/recovery-terminal';
import { RecoveryPendingError } from '../lib/recovery/errors';
import type { RecoveryResult } from '../lib/recovery/types';
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
  /** 'report' (default): tell what recovery found; 'reverse': vending — an approved payment whose answer was lost is reversed (void last). */
  onUnknown?: string;
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
    const reverse = config.onUnknown === 'reverse';

    // Leftovers this node started (an earlier run, a redeploy) resolved by the terminal's recovery.
    const recovery = user.terminal.recovery;
    if (recovery) {
      const onRecovered = (e: RecoveredEvent): void => {
        for (const r of e.results) {
          if (r.annotations.node !== node.id || user.closing || !recovery.markDelivered(r.id)) continue;
          const payload = recoveryPayload(r, e.source);
          showRecovered(user, payload);
          node.send([null, null, { topic: 'recovery', payload } as NodeMessage]);
        }
      };
      user.onClose(recovery.subscribe(onRecovered));
    }

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
      const requestId = randomUUID();
      try {
        if (terminal.recovery) {
          user.status('busy', `${NS}.status.checking`);
          await terminal.recovery.beforeSale(terminal.client);
        }
        user.status('busy', terminal.state.state === 'busy' ? `${NS}.status.queued` : `${NS}.status.running`);
        const result = await terminal.client.transaction(request, {
          signal,
          annotations: { node: node.id, request: requestId, reverse },
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
        if (result.amountMismatch) {
          node.warn(RED._(`${NS}.warnings.amountMismatch`, { requested: String(result.requestedAmount), authorized: String(result.authorizedAmount) }));
        }
        // Approved or not is the library's one decision (an answer that contradicts itself is an unknown outcome).
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
          await outcomeUnknown(user, msg, send, done, err, requestId);
          return;
        }
        if (err instanceof RecoveryPendingError) {
          // Nothing was sent; the error keeps its own code (JPAY_RECOVERY_PENDING).
          user.status('error', `${NS}.status.recoveryPending`);
          done(err);
          return;
        }
        user.fail(done, err);
      }
    }
  }

  /**
   * The answer was lost. With automatic recovery the terminal's report says what happened:
   * a settled outcome goes to output 3; an ambiguous one (or a failed recovery) is an
   * error with what is known, for Catch nodes. Nothing is ever sent again.
   */
  async function outcomeUnknown(user: UserNode, msg: NodeMessageInFlow, send: Send, done: Done, err: TransactionOutcomeUnknown, requestId: string): Promise<void> {
    const recovery = user.terminal.recovery;
    if (!recovery || !recovery.automatic || user.closing) {
      msg.payload = recovery ? unsettledPayload(err, undefined) : outcomeUnknownPayload(err);
      user.fail(done, err, `${NS}.status.outcomeUnknown`);
      return;
    }
    user.status('busy', `${NS}.status.recovering`);
    let mine: RecoveryResult | Error | undefined;
    try {
      mine = (await recovery.recoverNow(user.terminal.client, requestId)).find((r) => r.annotations.request === requestId);
    } catch (e) {
      mine = e instanceof Error ? e : new Error(String(e));
    }
    if (mine === undefined || mine instanceof Error || mine.outcome === 'ambiguous') {
      msg.payload = unsettledPayload(err, mine);
      user.fail(done, err, `${NS}.status.outcomeUnknown`);
      return;
    }
    const payload = recoveryPayload(mine, 'transaction', err);
    msg.payload = payload;
    showRecovered(user, payload);
    if (!user.closing) send([null, null, msg]);
    done();
  }

  /** Green: charged as asked; red: not charged, or charged and then reversed. */
  function showRecovered(user: UserNode, p: RecoveryPayload): void {
    if (p.outcome !== 'approved') user.status('error', `${NS}.status.recoveredNotCharged`);
    else if (p.reversal?.state === 'done') user.status('error', `${NS}.status.recoveredReversed`);
    else user.status('ok', `${NS}.status.recoveredApproved`);
  }

  RED.nodes.registerType('jpay-transaction', JpayTransactionNode);
};
