/**
 * `@jpaykit/node-red-jpay/recovery`: outcome-unknown recovery: a durable journal of every
 * transaction and the procedure that resolves a lost answer from the terminal's report
 * (docs/reliability.md).
 */
export { TransactionRecovery, type TransactionRecoveryOptions } from '../recovery/manager';
export { RecoveryPendingError, JournalError } from '../recovery/errors';
export type { JournalOptions } from '../recovery/journal';
export type { PendingPolicy } from '../recovery/hooks';
export { DEFAULT_SETTLE_MS } from '../recovery/recover';
export { ANNOTATION } from '../recovery/types';
export type {
  EntryState,
  JournalEntry,
  JournalRequest,
  ReceiptRef,
  RecoveryOutcome,
  RecoveryRecord,
  RecoveryResult,
  ReversalResult,
  TerminalKey,
  TransactionAnnotations,
} from '../recovery/types';
