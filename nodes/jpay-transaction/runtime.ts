/**
 * jpay-transaction: msg.payload → one transaction on the terminal. Output 1: the result;
 * output 2: progress (display, SBP QR code, keepalive); output 3: recovered outcomes — a
 * transaction whose answer was lost, resolved by the terminal's recovery (its report), and
 * an answer that came while this node's predecessor (same id) was closing in a redeploy
 * or a stop. msg.cancel aborts a running transaction. The logic lives beside this file
 * and in lib/recovery; this file wires it to Node-RED.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { JpayClient, TransactionOptions } from '../../lib/client';
import { JpayValidationError, TransactionOutcomeUnknown } from '../../lib/errors';
import { deliveryPayload, describeOutcome, recoveryPayload, unsettledPayload, type RecoveryPayload } from '../shared/recovery-payload';
import { RecoveryPendingError } from '../../lib/recovery/errors';
import type { SaleOutcome } from '../../lib/recovery/transaction-recovery';
import type { RecoveryStep } from '../../lib/recovery/types';
import { outcomeUnknownPayload } from '../../lib/results/outcome-unknown';
import { ERROR_CODES, JpayFlowError } from '../shared/errors';
import { displayProgress, keepaliveProgress, qrProgress, resolveLanguage, shortStatusText, type ProgressPayload } from './progress';
import {
  buildTransactionRequest,
  dynamicFields,
  parseTransactionDefaults,
  sourceName,
  withReadFields,
  type TypedField,
  type FlowTransactionRequest,
  type TransactionDefaultsConfig,
} from './transaction-input';
import { statusText, transactionPayload } from '../../lib/results/transaction';
import type { Language, TransactionRequest } from '../../lib/protocol/types';
import { parseSettings } from '../shared/status';
import { connectUser, derivedMessage, type UserNode } from '../shared/user-node';
import type { NodeSetup } from '../shared/register';

const NS = 'jpay-transaction';

interface JpayTransactionDef extends NodeDef, TransactionDefaultsConfig {
  terminal: string;
  includePan?: boolean;
  /** 'report' (default): tell what recovery found; 'reverse': vending — an approved payment whose answer was lost is reversed (void last). */
  onUnknown?: string;
}

type Send = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[]) => void;
type Done = (err?: Error) => void;

/** A sale without recovery, in the shape a sale with recovery ends in. */
async function unjournaledSale(client: JpayClient, request: TransactionRequest, options: TransactionOptions): Promise<SaleOutcome> {
  try {
    return { kind: 'answered', result: await client.transaction(request, options), journalId: undefined, undelivered: false };
  } catch (error) {
    if (error instanceof TransactionOutcomeUnknown) return { kind: 'unknown', error, recovery: undefined };
    throw error;
  }
}

export function setupOf(RED: NodeAPI): NodeSetup<JpayTransactionDef> {
  function setup(node: Node, config: JpayTransactionDef): void {
    const parsed = parseSettings(node, NS, (): Partial<FlowTransactionRequest> => parseTransactionDefaults(config));
    if (parsed === undefined) return;
    const defaults: Partial<FlowTransactionRequest> = parsed;
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;

    const readsFields = dynamicFields(config).length > 0;
    let running: AbortController | undefined;
    user.onClose(() => running?.abort());
    // While a lost answer is recovered: what it waits for, and the seconds left before the report is read.
    let countdown: NodeJS.Timeout | undefined;
    const stopCountdown = (): void => {
      clearInterval(countdown);
      countdown = undefined;
    };
    user.onClose(stopCountdown);
    const showRecovery = (step: RecoveryStep | undefined): void => {
      stopCountdown();
      if (step?.step === 'waiting') {
        const tick = (): void => {
          const seconds = Math.max(0, Math.ceil((step.untilMs - Date.now()) / 1000));
          // A number in the text: translated here (the editor translates only a bare key).
          user.status('busy', RED._(`${NS}.status.recoveringWait`, { seconds: String(seconds) }));
        };
        tick();
        countdown = setInterval(tick, 1000);
      } else {
        user.status('busy', step === undefined ? `${NS}.status.recovering` : `${NS}.status.${step.step === 'report' ? 'recoveringReport' : 'recoveringReverse'}`);
      }
    };
    const reverse = config.onUnknown === 'reverse';

    // Outcomes kept for this node (its id): leftovers recovery resolved, answers that came while its predecessor closed.
    const recovery = user.terminal.recovery;
    if (recovery) {
      user.onClose(
        recovery.deliverTo(node.id, (d) => {
          const payload = deliveryPayload(d);
          showRecovered(user, payload);
          node.send([null, null, { topic: 'recovery', payload } as NodeMessage]);
        }),
      );
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
      // Fields read for each msg are read first (JSONata, context stores may be async); otherwise a bad msg is refused at once.
      let request: FlowTransactionRequest | Promise<FlowTransactionRequest>;
      try {
        request = readsFields ? prepare(msg) : buildTransactionRequest(msg.payload, defaults);
      } catch (err) {
        user.fail(done, err);
        return;
      }
      const abort = new AbortController();
      running = abort;
      // A request ready now goes to the terminal's queue now: in the order the msgs came.
      const work =
        request instanceof Promise
          ? request.then(
              (ready) => run(user, msg, send, done, ready, abort.signal),
              (err: unknown) => user.fail(done, err),
            )
          : run(user, msg, send, done, request, abort.signal);
      void user.track(work).finally(() => {
        if (running === abort) running = undefined;
      });
    });

    /** The request of this msg: msg.payload over the node's fields, those read from the msg, flow, global, env or JSONata included. */
    async function prepare(msg: NodeMessageInFlow): Promise<FlowTransactionRequest> {
      const read: Partial<Record<TypedField, unknown>> = {};
      for (const { field, type, value } of dynamicFields(config)) {
        read[field] = await new Promise<unknown>((resolve, reject) => {
          RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, result: unknown) => {
            if (err) reject(new JpayValidationError(sourceName(field, type, value), `could not be read: ${err.message}`));
            else resolve(result);
          });
        });
      }
      return buildTransactionRequest(msg.payload, withReadFields(defaults, config, read));
    }

    async function run(user: UserNode, msg: NodeMessageInFlow, send: Send, done: Done, request: FlowTransactionRequest, signal: AbortSignal): Promise<void> {
      const terminal = user.terminal;
      let language: Language = terminal.language === 'auto' ? 'en' : terminal.language;
      const progress = (payload: ProgressPayload): void => {
        if (!user.closing) send([null, derivedMessage(RED, msg, payload.event, payload)]);
      };
      try {
        const options: TransactionOptions = {
          signal,
          annotations: { reverse },
          handlers: {
            ...terminal.transactionHandlers({ nodeId: node.id, flow: node.z, msgid: msg._msgid, request }),
            display: (m) => {
              const p = displayProgress(m, terminal.language);
              language = resolveLanguage(terminal.language, m.language);
              if (p.event === 'display' && p.text !== '') user.status('busy', shortStatusText(p.text));
              progress(p);
            },
            displayqrcode: (m) => progress(qrProgress(m)),
            keepalive: (info) => progress(keepaliveProgress(info.count)),
          },
        };
        const sending = (): void => user.status('busy', terminal.state.state === 'busy' ? `${NS}.status.queued` : `${NS}.status.running`);
        let sale: SaleOutcome;
        if (terminal.recovery) {
          user.status('busy', `${NS}.status.checking`);
          sale = await terminal.recovery.transaction(terminal.client, request, {
            ...options,
            owner: node.id,
            progress: (step, detail) => (step === 'sending' ? sending() : showRecovery(detail)),
          });
        } else {
          sending();
          sale = await unjournaledSale(terminal.client, request, options);
        }
        if (sale.kind !== 'answered') {
          outcomeUnknown(user, msg, done, send, request, sale);
          return;
        }
        const result = sale.result;
        if (sale.undelivered) {
          // The node closed as the answer came: the journal keeps it for the node that replaces this one.
          done();
          return;
        }
        if (user.closing) {
          // No journal keeps it, and a closing flow delivers nothing: the log must say it.
          terminal.reportLost(node.id, describeOutcome(request, { result }));
          done();
          return;
        }
        msg.payload = transactionPayload(result, request, { includePlainTextPan: config.includePan === true, language });
        if (result.amountMismatch) {
          node.warn(RED._(`${NS}.warnings.amountMismatch`, { requested: String(result.requestedAmount), authorized: String(result.authorizedAmount) }));
        }
        // Approved or not is the library's one decision (an answer that contradicts itself is an unknown outcome).
        const outcome = (msg.payload as { outcome: string }).outcome;
        if (outcome === 'approved') user.status('ok', `${NS}.status.approved`);
        else user.status(outcome === 'declined' ? 'declined' : 'error', `${NS}.status.${outcome}`);
        send([msg, null]);
        done();
      } catch (err) {
        if (err instanceof Error && err.name === 'AbortError') {
          // Cancelled before anything reached the terminal: nothing to reverse.
          msg.payload = { outcome: 'cancelled', status: 'cancelled', statusText: statusText('cancelled', language), ok: false, approved: false, sent: false, errors: [], request };
          user.status('error', `${NS}.status.cancelled`);
          send([msg, null]);
          done();
          return;
        }
        if (err instanceof RecoveryPendingError) {
          // Nothing was sent; the error keeps its own code (JPAY_RECOVERY_PENDING).
          user.status('error', `${NS}.status.recoveryPending`);
          done(err);
          return;
        }
        user.fail(done, err);
      } finally {
        stopCountdown();
      }
    }
  }

  /**
   * The answer was lost. With automatic recovery the terminal's report said what happened:
   * a settled outcome goes to output 3; an ambiguous one (or a failed recovery, or none) is
   * an error with what is known, for Catch nodes. Nothing is ever sent again.
   */
  function outcomeUnknown(user: UserNode, msg: NodeMessageInFlow, done: Done, send: Send, request: TransactionRequest, sale: Exclude<SaleOutcome, { kind: 'answered' }>): void {
    const recovery = user.terminal.recovery;
    if (sale.kind === 'unknown') {
      // No journal keeps it and a closing flow catches nothing: the log must say it.
      if (user.closing && !recovery) user.terminal.reportLost(user.nodeId, `${describeOutcome(request, {})}: OUTCOME UNKNOWN (${sale.error.message})`);
      msg.payload = recovery ? unsettledPayload(sale.error, sale.recovery) : outcomeUnknownPayload(sale.error);
      user.fail(done, sale.error, `${NS}.status.outcomeUnknown`);
      return;
    }
    if (sale.undelivered) {
      done();
      return;
    }
    const payload = recoveryPayload(sale.result, 'transaction', sale.error);
    msg.payload = payload;
    showRecovered(user, payload);
    send([null, null, msg]);
    done();
  }

  /** Green: charged as asked; red: not charged, or charged and then reversed. */
  function showRecovered(user: UserNode, p: RecoveryPayload): void {
    if (p.outcome !== 'approved') user.status('error', `${NS}.status.recoveredNotCharged`);
    else if (p.reversal?.state === 'done') user.status('error', `${NS}.status.recoveredReversed`);
    else user.status('ok', `${NS}.status.recoveredApproved`);
  }

  return setup;
}
