/**
 * Recovery results and kept outcomes → `msg.payload` of jpay-transaction's third output
 * ("recovered"), the payload of an outcome-unknown error that recovery could not settle,
 * and a one-line description of an outcome nobody received (for a log). Plain data, no
 * card data beyond the terminal's masked PAN. Knows nothing of Node-RED.
 */
import type { OutcomeUnknownPhase, OutcomeUnknownReason, TransactionOutcomeUnknown, UnknownTransactionInfo } from '../../lib/errors';
import { maskPan } from '../../lib/protocol/secret';
import type { TransactionRequest, TransactionResult } from '../../lib/protocol/types';
import type { Delivery, DeliverySource, JournalRequest, ReceiptRef, RecoveryOutcome, RecoveryResult, ReversalResult } from '../../lib/recovery/types';
import { outcomeUnknownPayload, type OutcomeUnknownPayload } from '../../lib/results/outcome-unknown';

/**
 * How the outcome became known: the recovery right after this node's own transaction, one
 * for leftovers (start, before a sale, `jpay recover`), or the terminal's answer that came
 * while the node was closing (a redeploy, a stop), delivered by the node that replaced it.
 */
export type RecoverySource = DeliverySource;

export interface RecoveryPayload {
  status: 'recovered';
  outcomeUnknown: true;
  outcome: RecoveryOutcome;
  /** The payment was approved by the terminal (before any reversal). */
  approved: boolean;
  /** Money stays taken: approved and not reversed. */
  charged: boolean;
  receipt?: ReceiptRef;
  reversal?: ReversalResult;
  request: JournalRequest;
  /** Journal id of the transaction. */
  journalId: string;
  reason?: string;
  begunAt: string;
  resolvedAt: string;
  source: RecoverySource;
  /** A late answer: the terminal's status (ok, declined, cancelled…). */
  answerStatus?: string;
  /** An earlier hand-over of it began and was never confirmed (a crash, a power cut): the flow may have had it already. */
  repeated?: true;
  /** What the client knew when the answer was lost (for the node's own transaction). */
  phase?: OutcomeUnknownPhase;
  /** Why the outcome was unknown: no answer, or an answer refused (see the node's help). */
  unknownReason?: OutcomeUnknownReason;
  transaction?: UnknownTransactionInfo;
}

export function recoveryPayload(result: RecoveryResult, source: RecoverySource, err?: TransactionOutcomeUnknown): RecoveryPayload {
  const approved = result.outcome === 'approved';
  const payload: RecoveryPayload = {
    status: 'recovered',
    outcomeUnknown: true,
    outcome: result.outcome,
    approved,
    charged: approved && result.reversal?.state !== 'done',
    request: { ...result.request },
    journalId: result.id,
    begunAt: result.begunAt,
    resolvedAt: result.resolvedAt,
    source,
  };
  if (result.receipt) payload.receipt = { ...result.receipt };
  if (result.reversal) payload.reversal = { ...result.reversal };
  if (result.reason) payload.reason = result.reason;
  if (err) {
    payload.phase = err.phase;
    payload.unknownReason = err.reason;
    payload.transaction = { ...err.transaction };
  }
  return payload;
}

/** A kept outcome handed to the node that owns it (output 3). */
export function deliveryPayload(d: Delivery): RecoveryPayload {
  const payload = recoveryPayload(d.result, d.source);
  if (d.status !== undefined) payload.answerStatus = d.status;
  if (d.repeated) payload.repeated = true;
  return payload;
}

/** One line naming a transaction and what became of it, with nothing but the masked PAN (for a warning or an error in the log). */
export function describeOutcome(request: Omit<TransactionRequest, 'manual'>, outcome: { result?: TransactionResult; receipt?: ReceiptRef; outcome?: string }): string {
  const parts = [`${request.type}${request.amount === undefined ? '' : ` ${request.amount}`}${request.currency === undefined ? '' : ` (currency ${request.currency})`}`];
  const r = outcome.result;
  if (r) parts.push(`${r.approved ? 'APPROVED' : 'not approved'} (status ${r.status})`);
  else if (outcome.outcome !== undefined) parts.push(outcome.outcome === 'approved' ? 'APPROVED' : outcome.outcome);
  const seq = r?.receipt?.seq ?? outcome.receipt?.seq;
  const rrn = r?.receipt?.rrn ?? outcome.receipt?.rrn;
  if (seq !== undefined) parts.push(`receipt ${seq}`);
  if (rrn !== undefined) parts.push(`RRN ${rrn}`);
  if (r?.receipt?.pan !== undefined) parts.push(`card ${maskPan(r.receipt.pan)}`);
  return parts.join(', ');
}

/** An unknown outcome recovery could not settle (ambiguous, or the recovery itself failed). */
export interface UnsettledPayload extends OutcomeUnknownPayload {
  recovery: { outcome: 'ambiguous'; reason?: string; journalId: string; candidates: number } | { error: string } | { state: 'pending' };
}

export function unsettledPayload(err: TransactionOutcomeUnknown, recovery: RecoveryResult | Error | undefined): UnsettledPayload {
  const base = outcomeUnknownPayload(err);
  if (recovery === undefined) return { ...base, recovery: { state: 'pending' } };
  if (recovery instanceof Error) return { ...base, recovery: { error: `${recovery.name}: ${recovery.message}` } };
  const out: UnsettledPayload = { ...base, recovery: { outcome: 'ambiguous', journalId: recovery.id, candidates: recovery.candidates } };
  if (recovery.reason) (out.recovery as { reason?: string }).reason = recovery.reason;
  return out;
}
