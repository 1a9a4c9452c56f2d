/**
 * The library's typed errors. Every error the library throws or rejects with is one of
 * these, so callers (the CLI, Node-RED nodes) can tell a declined card from a broken
 * cable from an unknown outcome without parsing messages. Messages never carry a full
 * PAN, a password or a token.
 */

/**
 * Protocol errors that refuse a connection or an answer for what it carries; each one is
 * also the reason of an unknown transaction outcome (OutcomeUnknownReason):
 *  - `queue-overflow`: the peer sent more than the connection holds for the reader (or
 *    read nothing of what it was sent);
 *  - `plain-text`: a packet inside an encrypted session that was not encrypted;
 *  - `replayed-packet`: an encrypted packet whose IV was already used under the session key;
 *  - `contradictory-answer`: the answer contradicts itself (two statuses, `failed` with an
 *    approved receipt…);
 *  - `mismatched-answer`: the answer does not fit the request (receipt type, currency);
 *  - `stale-receipt`: the receipt number is not newer than the newest seen from the terminal;
 *  - `receipt-time`: the receipt's time does not fit the transaction's on the terminal's clock.
 */
export const REFUSAL_CODES = ['queue-overflow', 'plain-text', 'replayed-packet', 'contradictory-answer', 'mismatched-answer', 'stale-receipt', 'receipt-time'] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export type ProtocolErrorCode =
  | 'frame-too-large'
  | 'frame-timeout'
  | 'frame-truncated'
  | 'bad-xml'
  | 'bad-packet'
  | 'bad-handshake'
  | 'bad-crypto'
  | 'unexpected-packet'
  | RefusalCode;

export class JpayError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The peer broke the protocol: a bad frame, bad XML, a failed decryption. */
export class JpayProtocolError extends JpayError {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Input refused before a byte was sent; `field` names the offending field. */
export class JpayValidationError extends JpayError {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

/** The terminal could not be reached, or the connection broke before a command was sent. */
export class JpayConnectionError extends JpayError {
  constructor(
    message: string,
    readonly host: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The limit that fired: `connect` (timeouts.connectMs), `idle` (timeouts.idleMs: nothing
 * from the terminal for that long, during any command), `command` (timeouts.commandMs: the
 * cap of a whole command other than a transaction or runreset), `transaction`
 * (timeouts.transactionMs: the cap of a whole transaction or runreset), `frame` (one frame
 * from its first byte to its last), `handler` (timeouts.handlerMs).
 */
export type TimeoutPhase = 'connect' | 'idle' | 'command' | 'transaction' | 'frame' | 'handler';

/** How each limit is named in every message (library, CLI, nodes). */
export const TIMEOUT_LIMITS: Readonly<Record<TimeoutPhase, { name: string; what: string }>> = {
  connect: { name: 'connect limit', what: 'no TCP connection (timeouts.connectMs)' },
  idle: { name: 'idle limit', what: 'nothing from the terminal for that long (timeouts.idleMs)' },
  command: { name: 'command cap', what: 'the command did not finish (timeouts.commandMs)' },
  transaction: { name: 'transaction cap', what: 'the transaction or runreset did not finish (timeouts.transactionMs)' },
  frame: { name: 'frame limit', what: 'a frame did not complete' },
  handler: { name: 'handler limit', what: 'the message handler did not answer (timeouts.handlerMs)' },
};

/** `idle limit of 180000 ms reached: nothing from the terminal for that long (timeouts.idleMs)`. */
export function timeoutMessage(phase: TimeoutPhase, timeoutMs: number): string {
  const limit = TIMEOUT_LIMITS[phase];
  return `${limit.name} of ${timeoutMs} ms reached: ${limit.what}`;
}

/** A limit passed (`phase` names it). For a command that is not a transaction it is safe to run again. */
export class JpayTimeoutError extends JpayError {
  constructor(
    readonly phase: TimeoutPhase,
    readonly timeoutMs: number,
  ) {
    super(timeoutMessage(phase, timeoutMs));
  }
}

/** The terminal answered with a non-ok status where the caller needed ok. */
export class JpayStatusError extends JpayError {
  constructor(
    readonly command: string,
    /** The status as sent by the terminal (`notauthorized`, `transactionnotfound`…). */
    readonly status: string,
    /** The terminal's error stack, decoded to text. */
    readonly errors: readonly string[] = [],
  ) {
    super(`${command} failed with status ${status || '(none)'}${errors.length ? `: ${errors.join('; ')}` : ''}`);
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
 * Why a transaction's outcome is unknown: no usable answer arrived (`connection-lost`: the
 * connection closed or broke; `timeout`: the deadline or the longest silence passed;
 * `client-closed`; `protocol-error`: a frame or packet that cannot be read), or an answer
 * arrived and was refused because it cannot be the terminal's answer to this request — a
 * copy, an injection, a terminal contradicting itself (REFUSAL_CODES).
 */
export type OutcomeUnknownReason = 'connection-lost' | 'timeout' | 'client-closed' | 'protocol-error' | RefusalCode;

const REFUSALS: ReadonlySet<string> = new Set(REFUSAL_CODES);

/** The reason a cause stands for: a refused answer names its check, any other protocol error is `protocol-error`. */
export function outcomeUnknownReason(cause: unknown): OutcomeUnknownReason {
  if (cause instanceof JpayProtocolError) return REFUSALS.has(cause.code) ? (cause.code as RefusalCode) : 'protocol-error';
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
