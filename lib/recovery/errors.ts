import { JpayError } from '../errors';

/**
 * A new transaction was refused because earlier transactions on this terminal still have
 * an unknown outcome (policy `block`). Nothing was sent. Run the recovery (it needs the
 * admin password) or resolve the entries by hand, then try again.
 */
export class RecoveryPendingError extends JpayError {
  /** Stable code for Node-RED Catch nodes (msg.error.code). */
  readonly code = 'JPAY_RECOVERY_PENDING';
  readonly terminal: string;
  readonly pending: number;
  constructor(terminal: string, pending: number, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? ` (recovery failed: ${options.cause.message})` : '';
    super(`${pending} earlier transaction(s) on ${terminal} have an unknown outcome: recover them before a new sale${why}`, options);
    this.terminal = terminal;
    this.pending = pending;
  }
}

/** The journal file cannot be used (corrupt, not a journal, or a write failed). */
export class JournalError extends JpayError {
  readonly file: string;
  constructor(message: string, file: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}
