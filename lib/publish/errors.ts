import { JpayError } from '../errors';

export type OutboxErrorCode =
  /** The outbox holds its maximum count or bytes of unacknowledged receipts. */
  | 'outbox-full'
  /** Writing or syncing the journal failed; the receipt is NOT stored. */
  | 'journal-failed'
  /** Another publisher of this process already uses the journal file. */
  | 'journal-in-use'
  /** The publisher is closing or closed. */
  | 'closed';

/**
 * A receipt could not be stored in the durable outbox. When publishReceipt() rejects with
 * this, the receipt is not on disk and will not be published: the caller must keep it.
 */
export class OutboxError extends JpayError {
  readonly code: OutboxErrorCode;
  constructor(code: OutboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
