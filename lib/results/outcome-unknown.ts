/**
 * The payload of a transaction whose outcome is unknown: what is known, no card data, and
 * what to do about it. The jpay-transaction node and the gateway hand it out as it is.
 */
import { JpayTimeoutError, type OutcomeUnknownPhase, type OutcomeUnknownReason, type TimeoutPhase, type TransactionOutcomeUnknown, type UnknownTransactionInfo } from '../errors';

/** The payload of a transaction whose outcome is unknown: what is known, no card data. */
export interface OutcomeUnknownPayload {
  status: 'unknown';
  approved: false;
  outcomeUnknown: true;
  phase: OutcomeUnknownPhase;
  /** Why: no answer (`connection-lost`, `timeout`…) or an answer refused (`replayed-packet`, `contradictory-answer`…). */
  unknownReason: OutcomeUnknownReason;
  /** For a timeout, the limit that fired: `idle` (the terminal went silent) or `transaction` (the cap). */
  limit?: TimeoutPhase;
  transaction: UnknownTransactionInfo;
  /** What to do about it. */
  advice: string;
}

export function outcomeUnknownPayload(err: TransactionOutcomeUnknown): OutcomeUnknownPayload {
  const payload: OutcomeUnknownPayload = {
    status: 'unknown',
    approved: false,
    outcomeUnknown: true,
    phase: err.phase,
    unknownReason: err.reason,
    transaction: { ...err.transaction },
    advice: 'The card may have been charged. Do not repeat the payment: check the terminal report, or reverse with a void of "last".',
  };
  if (err.cause instanceof JpayTimeoutError) payload.limit = err.cause.phase;
  return payload;
}
