/**
 * Recovery results → `msg.payload` of jpay-transaction's third output ("recovered"), and
 * the payload of an outcome-unknown error that recovery could not settle. Plain data, no
 * card data beyond the terminal's masked PAN. Knows nothing of Node-RED.
 */
import type { OutcomeUnknownPhase, OutcomeUnknownReason, TransactionOutcomeUnknown, UnknownTransactionInfo } from '../errors';
import type { JournalRequest, ReceiptRef, RecoveryOutcome, RecoveryResult, ReversalResult } from '../recovery/types';
import { outcomeUnknownPayload, type OutcomeUnknownPayload } from './errors';

/** Where the recovery ran: right after this node's own transaction, or for leftovers (start, before a sale). */
export type RecoverySource = 'transaction' | 'start' | 'before-sale';

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
