/**
 * `@jpaykit/node-red-jpay/recovery`: outcome-unknown recovery: a durable journal of every
 * transaction and the procedure that resolves a lost answer from the terminal's report
 * (docs/reliability.md).
 */
export {
  TransactionRecovery,
  type RecoveredEvent,
  type SaleOptions,
  type SaleOutcome,
  type TransactionRecoveryEvents,
  type TransactionRecoveryOptions,
} from '../recovery/transaction-recovery';
export { RecoveryPendingError, JournalError } from '../recovery/errors';
export type { JournalOptions, TransactionJournal } from '../recovery/journal';
export { ANNOTATION, DEFAULT_SETTLE_MS } from '../recovery/types';
export type {
  Delivery,
  DeliverySource,
  DeliveryState,
  PendingPolicy,
  RecoverySource,
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
