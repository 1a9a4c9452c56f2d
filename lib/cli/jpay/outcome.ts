// What happened, as a category and an exit code: one place decides both, so the human
// summary, the JSON object and the exit status always agree.

import {
  JpayConnectionError,
  JpayStatusError,
  JpayTimeoutError,
  JpayValidationError,
  TransactionOutcomeUnknown,
} from '../../errors';
import { JpayAbortError } from '../../client/abort';
import { JournalError, RecoveryPendingError } from '../../recovery/errors';
import { transactionOutcome } from '../../protocol/outcome';
import type { ResponseBase, ResponseTypes } from '../../protocol/types';
import type { Invocation } from './commands';
import { EXIT_DECLINED, EXIT_OK, EXIT_UNKNOWN, EXIT_USAGE, ExitCode } from './exit-codes';
import { UsageError } from './usage-error';

export type OutcomeKind =
  /** Non-transaction command answered ok. */
  | 'ok'
  /** A transaction: the same words as a node's `msg.payload.outcome` (lib/protocol/outcome.ts). */
  | 'approved'
  | 'declined'
  | 'cancelled'
  /** A non-ok status (or a failed settlement); a transaction the terminal could not run. */
  | 'failed'
  | 'usage'
  /** Could not reach the terminal, or the connection/protocol broke, on a non-transaction command. */
  | 'error'
  /** A transaction was (or may have been) sent and its answer did not arrive. */
  | 'unknown';

export interface Verdict {
  kind: OutcomeKind;
  exitCode: ExitCode;
}

export function responseVerdict(invocation: Invocation, response: ResponseBase): Verdict {
  if (invocation.command === 'transaction') {
    // The client's decision, as the library and the nodes have it: an answer that
    // contradicts itself (failed with an approved receipt…) never resolves, it is unknown.
    const outcome = transactionOutcome(response as ResponseTypes['transaction']);
    return { kind: outcome, exitCode: outcome === 'approved' ? EXIT_OK : EXIT_DECLINED };
  }
  if (!response.ok) return { kind: 'failed', exitCode: EXIT_DECLINED };
  if (invocation.command === 'settlement') {
    const report = (response as ResponseTypes['settlement']).report;
    if (report !== undefined && !report.passed) return { kind: 'failed', exitCode: EXIT_DECLINED };
  }
  return { kind: 'ok', exitCode: EXIT_OK };
}

export function errorVerdict(invocation: Invocation | undefined, error: unknown): Verdict {
  if (error instanceof UsageError || error instanceof JpayValidationError) return { kind: 'usage', exitCode: EXIT_USAGE };
  if (error instanceof TransactionOutcomeUnknown) return { kind: 'unknown', exitCode: EXIT_UNKNOWN };
  if (error instanceof JpayStatusError) return { kind: 'failed', exitCode: EXIT_DECLINED };
  // Cancelled before anything was sent: known, nothing happened.
  if (error instanceof JpayAbortError) {
    return { kind: invocation?.command === 'transaction' ? 'cancelled' : 'failed', exitCode: EXIT_DECLINED };
  }
  // Refused or timed out while connecting: known, nothing was sent. Anything else during a
  // transaction is treated as unknown: the card may have been charged.
  const notSent =
    error instanceof JpayConnectionError || error instanceof RecoveryPendingError || error instanceof JournalError || (error instanceof JpayTimeoutError && error.phase === 'connect');
  if (invocation?.command === 'transaction' && !notSent) return { kind: 'unknown', exitCode: EXIT_UNKNOWN };
  return { kind: 'error', exitCode: EXIT_UNKNOWN };
}
