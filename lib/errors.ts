/**
 * The library's typed errors. Every error the library throws or rejects with is one of
 * these, so callers (the CLI, Node-RED nodes) can tell a declined card from a broken
 * cable from an unknown outcome without parsing messages. Messages never carry a full
 * PAN, a password or a token.
 */

export type ProtocolErrorCode =
  | 'frame-too-large'
  | 'frame-timeout'
  | 'frame-truncated'
  | 'bad-xml'
  | 'bad-packet'
  | 'bad-handshake'
  | 'bad-crypto'
  | 'unexpected-packet'
  /** The peer sent more than the connection holds for the reader (or read nothing of what it was sent). */
  | 'queue-overflow'
  /** A packet inside an encrypted session that was not encrypted. */
  | 'plain-text'
  /** An encrypted packet whose IV was already used under the session key: a copy. */
  | 'replayed-packet'
  /** The answer contradicts itself (two statuses, `failed` with an approved receipt…). */
  | 'contradictory-answer'
  /** The answer does not fit the request (receipt type, currency). */
  | 'mismatched-answer'
  /** The receipt number is not newer than the newest already seen from the terminal. */
  | 'stale-receipt'
  /** The receipt's time does not fit the transaction's time on the terminal's clock. */
  | 'receipt-time';

export class JpayError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The peer broke the protocol: a bad frame, bad XML, a failed decryption. */
export class JpayProtocolError extends JpayError {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Input refused before a byte was sent; `field` names the offending field. */
export class JpayValidationError extends JpayError {
  readonly field: string;
  readonly rule: string;
  constructor(field: string, rule: string) {
    super(`${field}: ${rule}`);
    this.field = field;
    this.rule = rule;
  }
}

/** The terminal could not be reached, or the connection broke before a command was sent. */
export class JpayConnectionError extends JpayError {
  readonly host: string;
  readonly port: number;
  constructor(message: string, host: string, port: number, options?: { cause?: unknown }) {
    super(message, options);
    this.host = host;
    this.port = port;
  }
}

export type TimeoutPhase = 'connect' | 'command' | 'transaction' | 'frame' | 'handler';

/** A deadline passed for a command that is not a transaction (safe to run again). */
export class JpayTimeoutError extends JpayError {
  readonly phase: TimeoutPhase;
  readonly timeoutMs: number;
  constructor(phase: TimeoutPhase, timeoutMs: number) {
    super(`${phase} timed out after ${timeoutMs} ms`);
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/** The terminal answered with a non-ok status where the caller needed ok. */
export class JpayStatusError extends JpayError {
  readonly command: string;
  /** The status as sent by the terminal (`notauthorized`, `transactionnotfound`…). */
  readonly status: string;
  /** The terminal's error stack, decoded to text. */
  readonly errors: readonly string[];
  constructor(command: string, status: string, errors: readonly string[] = []) {
    super(`${command} failed with status ${status || '(none)'}${errors.length ? `: ${errors.join('; ')}` : ''}`);
    this.command = command;
    this.status = status;
    this.errors = errors;
  }
}

export type OutcomeUnknownPhase = 'sending' | 'awaiting-response' | 'in-dialogue';

/** What is known about a transaction whose outcome is unknown. No PAN, no password. */
export interface UnknownTransactionInfo {
  type: string;
  amount?: number;
  amountOther?: number;
  currency?: string;
  number?: number | 'last';
  sbp?: boolean;
  host: string;
  port: number;
  /** ISO time the command was sent. */
  sentAt: string;
  /** Last display message code seen, if any (e.g. `D4` answer received from host). */
  lastDisplayCode?: string;
}

/**
 * Why a transaction's outcome is unknown. The first four: no usable answer arrived. The
 * rest: an answer arrived and was refused, because it cannot be the terminal's answer to
 * this request — it may be a copy, an injection, or a terminal contradicting itself.
 */
export type OutcomeUnknownReason =
  /** The connection closed or broke before the answer. */
  | 'connection-lost'
  /** The transaction deadline, or the longest silence between packets, passed. */
  | 'timeout'
  /** The client was closed while the transaction ran. */
  | 'client-closed'
  /** A frame or packet that cannot be read (bad XML, bad frame, failed decryption). */
  | 'protocol-error'
  /** The terminal sent more than the client holds for one connection. */
  | 'queue-overflow'
  /** A plain-text packet inside an encrypted session. */
  | 'plain-text'
  /** An encrypted packet already seen under the session key. */
  | 'replayed-packet'
  /** The answer contradicts itself. */
  | 'contradictory-answer'
  /** The answer does not fit the request (receipt type, currency). */
  | 'mismatched-answer'
  /** The receipt number is not newer than the newest the client has seen from the terminal. */
  | 'stale-receipt'
  /** The receipt's time does not fit the transaction's time on the terminal's clock. */
  | 'receipt-time';

const REASON_BY_PROTOCOL_CODE: Partial<Record<ProtocolErrorCode, OutcomeUnknownReason>> = {
  'queue-overflow': 'queue-overflow',
  'plain-text': 'plain-text',
  'replayed-packet': 'replayed-packet',
  'contradictory-answer': 'contradictory-answer',
  'mismatched-answer': 'mismatched-answer',
  'stale-receipt': 'stale-receipt',
  'receipt-time': 'receipt-time',
};

/** The reason a cause stands for: a refused answer names its check, any other protocol error is `protocol-error`. */
export function outcomeUnknownReason(cause: unknown): OutcomeUnknownReason {
  if (cause instanceof JpayProtocolError) return REASON_BY_PROTOCOL_CODE[cause.code] ?? 'protocol-error';
  if (cause instanceof JpayTimeoutError) return 'timeout';
  return 'connection-lost';
}

/**
 * A transaction was (or may have been) sent and no usable response arrived: none came, or
 * the one that came was refused (`reason`). The terminal may have charged the card. The
 * library never resends it: recover by reading the terminal's report, or reverse with
 * `void last`.
 */
export class TransactionOutcomeUnknown extends JpayError {
  readonly phase: OutcomeUnknownPhase;
  readonly reason: OutcomeUnknownReason;
  readonly transaction: UnknownTransactionInfo;
  constructor(
    phase: OutcomeUnknownPhase,
    transaction: UnknownTransactionInfo,
    options?: { cause?: unknown; reason?: OutcomeUnknownReason },
  ) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    const reason = options?.reason ?? (options?.cause === undefined ? 'connection-lost' : outcomeUnknownReason(options.cause));
    super(`transaction outcome unknown (${phase}, ${reason})${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.phase = phase;
    this.reason = reason;
    this.transaction = transaction;
  }
}
