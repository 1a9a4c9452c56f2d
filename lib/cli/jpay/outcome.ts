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
import type { GatewayOutcome } from '../../gateway/answer';
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

/** The exit code of an outcome, a gateway's (`jpay --mqtt`) included. */
export function exitCodeOf(kind: OutcomeKind | GatewayOutcome | 'offline' | 'timeout'): ExitCode {
  switch (kind) {
    case 'ok':
    case 'approved':
      return EXIT_OK;
    case 'declined':
    case 'cancelled':
    case 'failed':
    case 'refused':
      return EXIT_DECLINED;
    case 'usage':
      return EXIT_USAGE;
    default:
      return EXIT_UNKNOWN;
  }
}

export const verdictOf = (kind: OutcomeKind): Verdict => ({ kind, exitCode: exitCodeOf(kind) });

export function responseVerdict(invocation: Invocation, response: ResponseBase): Verdict {
  // A transaction: the client's decision, as the library and the nodes have it: an answer
  // that contradicts itself (failed with an approved receipt…) never resolves, it is unknown.
  if (invocation.command === 'transaction') return verdictOf(transactionOutcome(response as ResponseTypes['transaction']));
  if (!response.ok) return verdictOf('failed');
  const report = invocation.command === 'settlement' ? (response as ResponseTypes['settlement']).report : undefined;
  return verdictOf(report !== undefined && !report.passed ? 'failed' : 'ok');
}

export function errorVerdict(invocation: Invocation | undefined, error: unknown): Verdict {
  if (error instanceof UsageError || error instanceof JpayValidationError) return verdictOf('usage');
  if (error instanceof TransactionOutcomeUnknown) return verdictOf('unknown');
  if (error instanceof JpayStatusError) return verdictOf('failed');
  // Cancelled before anything was sent: known, nothing happened.
  if (error instanceof JpayAbortError) return verdictOf(invocation?.command === 'transaction' ? 'cancelled' : 'failed');
  // Refused or timed out while connecting: known, nothing was sent. Anything else during a
  // transaction is treated as unknown: the card may have been charged.
  const notSent =
    error instanceof JpayConnectionError || error instanceof RecoveryPendingError || error instanceof JournalError || (error instanceof JpayTimeoutError && error.phase === 'connect');
  return verdictOf(invocation?.command === 'transaction' && !notSent ? 'unknown' : 'error');
}
