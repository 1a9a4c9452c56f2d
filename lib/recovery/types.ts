/**
 * What the in-flight journal knows about each transaction, and what recovery concludes.
 * No PAN (only the terminal's masked one, from a report), no password, no token.
 */
import type { OutcomeUnknownPhase } from '../errors';
import type { TransactionAnnotations, TransactionStart } from '../client/transaction-hooks';

/** `host:port` of a terminal: journal entries belong to one. */
export type TerminalKey = string;

export function terminalKey(host: string, port: number): TerminalKey {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A receipt as the journal keeps it: enough to find it again in a full report. */
export interface ReceiptRef {
  /** Receipt number as the terminal sent it (`000012`). */
  seq?: string;
  rrn?: string;
  /** ISO local date-time on the terminal's clock. */
  time?: string;
  type?: string;
  amount?: number;
  approved?: boolean;
  tid?: string;
}

export type JournalRequest = TransactionStart['request'];

/**
 * in-flight: recorded, sent (or about to be), no answer yet — after a crash, an unknown
 * outcome too. answered / not-sent: final. unknown: sent, no usable answer. recovered:
 * the recovery procedure (or a person) decided.
 */
export type EntryState = 'in-flight' | 'answered' | 'not-sent' | 'unknown' | 'recovered';

/**
 * Whether the owner of an answered or recovered entry (annotation `owner`) has its outcome.
 * Absent: it went to whoever waited for it (the caller of transaction() or recover()).
 * pending: nobody took it yet (the answer came while its owner was closing — a redeploy,
 * a stop — or recovery found it for an owner that was not there): it is handed to the
 * owner when one attaches (TransactionRecovery.deliverTo). attempted: a hand-over began
 * and was not confirmed (a crash or a power cut in between): the next one says it may be
 * a repeat. delivered: handed over.
 */
export type DeliveryState = 'pending' | 'attempted' | 'delivered';

/** New sales while earlier outcomes are unknown: 'block' refuses them (nothing is sent), 'warn' logs and sells. */
export type PendingPolicy = 'block' | 'warn';

/**
 * Why a recovery ran: at start (leftovers of an earlier run), before a sale, right after
 * the caller's own transaction lost its answer, or because a program (or `jpay recover`)
 * asked.
 */
export type RecoverySource = 'start' | 'before-sale' | 'transaction' | 'explicit';

export type RecoveryOutcome = 'approved' | 'declined-or-not-recorded' | 'ambiguous';

/**
 * What a recovery is doing, for a status line: waiting until `untilMs` (host clock, ms) for
 * the terminal to settle before its report is read, reading the report, or reversing an
 * approved payment (vending).
 */
export type RecoveryStep = { step: 'waiting'; untilMs: number } | { step: 'report' } | { step: 'reversing' };

export interface ReversalResult {
  /** A `void last` was sent (by this recovery or an earlier one). */
  attempted: boolean;
  /** done: approved reversal; failed: the terminal refused it; unknown: its own outcome is unknown (journaled, recovered later). */
  state: 'done' | 'failed' | 'unknown' | 'skipped';
  /** Why no void was sent: the receipt is not the last in the log, an SBP payment… */
  reason?: string;
  /** Terminal status of the void, when it answered. */
  status?: string;
  receipt?: ReceiptRef;
  /** Journal id of the void. */
  entryId?: string;
}

export interface RecoveryRecord {
  outcome: RecoveryOutcome;
  /** Host clock, ISO. */
  at: string;
  receipt?: ReceiptRef;
  /** How many report entries matched. */
  candidates: number;
  /** A short reason (`no-matching-receipt`, `several-candidates`, `terminal-changed`…). */
  reason?: string;
  reversal?: ReversalResult;
  /** Decided by a person (resolveManually), not by reading the report. */
  manual?: boolean;
  note?: string;
  /** Why the recovery ran (absent in journals written before it was kept). */
  source?: RecoverySource;
}

export interface JournalEntry {
  id: string;
  terminal: TerminalKey;
  request: JournalRequest;
  annotations: TransactionAnnotations;
  /** Host clock, ISO: when the record was made, just before the send. */
  begunAt: string;
  /** The newest receipt this journal knew from the terminal when the transaction began. */
  anchor?: ReceiptRef;
  /** The terminal's TID, when a receipt or report told it. */
  tid?: string;
  state: EntryState;
  /** answered */
  status?: string;
  /** Host clock, ISO: when the answer came (absent in journals written before it was kept). */
  answeredAt?: string;
  approved?: boolean;
  receipt?: ReceiptRef;
  /** not-sent */
  reason?: string;
  /** unknown */
  unknownAt?: string;
  phase?: OutcomeUnknownPhase;
  lastDisplayCode?: string;
  /** recovered */
  recovery?: RecoveryRecord;
  /** answered / recovered: whether its owner has the outcome (absent: its caller had it). */
  delivery?: DeliveryState;
  /** Host clock, ISO: when the outcome was handed to its owner. */
  deliveredAt?: string;
}

/**
 * What recoverTerminal() returns per journal entry it looked at: the entry, and the
 * decision (`receipt`: the report entry found, masked PAN only; `resolvedAt`: its `at`).
 */
export type RecoveryResult = Pick<JournalEntry, 'id' | 'terminal' | 'request' | 'annotations' | 'begunAt'> &
  Pick<RecoveryRecord, 'outcome' | 'receipt' | 'candidates' | 'reason' | 'reversal'> & { resolvedAt: string };

/** Annotation keys the recovery layer reads. */
export const ANNOTATION = {
  /** true: an approved payment found by recovery is reversed with `void last` (vending). */
  reverse: 'reverse',
  /** `reversal`: a void sent by recovery itself (passes the new-sale guard). */
  recovery: 'recovery',
  /** Journal id of the payment a recovery void reverses. */
  reversalOf: 'reversalOf',
  /** Journal id the caller already began for this transaction (the hooks then do not begin another). */
  journalEntry: 'journalEntry',
  /**
   * Who receives the outcome (a Node-RED node's id): when it is not attached
   * (TransactionRecovery.deliverTo) as the answer comes, the outcome is kept for it.
   */
  owner: 'owner',
  /** The caller's id of one transaction() call (TransactionRecovery sets one when absent). */
  request: 'request',
} as const;

/** Where a delivered outcome comes from: a recovery (its source), or the terminal's own answer that came while the owner was away. */
export type DeliverySource = RecoverySource | 'late-answer';

/** An outcome handed to its owner (TransactionRecovery.deliverTo). */
export interface Delivery {
  result: RecoveryResult;
  source: DeliverySource;
  /** The terminal's status (a late answer). */
  status?: string;
  /**
   * An earlier hand-over began and was never confirmed (the process died in between):
   * the owner may have had it already. Check before acting twice (dispensing twice).
   */
  repeated: boolean;
}

export type { TransactionAnnotations };

export const DEFAULT_SETTLE_MS = 45_000;
