/**
 * JpayClient options: their shape, defaults and validation. Invalid options throw
 * JpayValidationError naming the field (never quoting a secret value).
 */
import { DEFAULT_MAX_FRAME_SIZE } from '../codec/frame';
import { JpayValidationError } from '../errors';
import { DEFAULT_RECEIPT_CLOCK_TOLERANCE_MS, validateWatermarkStore, type ReceiptWatermarkStore } from './answer-binding';
import type { CommandName } from '../protocol/types';
import { validateFields } from '../protocol/validation';
import type { MessageHandlers } from './message-dispatch';
import { DEFAULT_MAX_SESSION_PACKETS } from './secure-session';
import { validateTransactionHooks, type TransactionHooks } from './transaction-hooks';
import { isRecord } from '../objects';

export const DEFAULT_CLIENT_PORT = 4433;

/**
 * Frames the terminal sends for report, settlement and clear: the answers that grow with
 * its transaction log (a full report lists every transaction, ~311 bytes each, ~415
 * encrypted). The document states no log capacity; 16 MiB holds ~40,000 transactions
 * encrypted, ~53,000 plain (5,000 make 1.56 MB, 2.07 MB encrypted), and is what jpay-sim
 * sends at most. A settlement's or clear's answer is small as the document shows it, but
 * it is the one answer to an operation that cannot be undone: it is never refused for a
 * size a report may have.
 */
export const DEFAULT_MAX_REPORT_FRAME_SIZE = 16 * 1024 * 1024;
/** The most either frame limit may be set to: one frame is held whole in memory. */
export const MAX_CLIENT_FRAME_SIZE = 256 * 1024 * 1024;
/** Commands under maxReportFrameSize; every other frame (all messages too) is under maxFrameSize. */
export const REPORT_FRAME_COMMANDS: ReadonlySet<CommandName> = new Set(['report', 'settlement', 'clear']);

/**
 * The limits of one command (each error names the one that fired: JpayTimeoutError.phase).
 * The terminal may send keep-alives during any long operation, and need not (§3: «может
 * получить»): so every message starts the idle limit again, for every command, and only
 * the caps bound a command that keeps sending them.
 */
export interface ClientTimeouts {
  /** TCP connect (default 5 s). */
  connectMs: number;
  /**
   * Cap of a whole command other than a transaction or runreset, from connected to
   * response; messages do not extend it (default 10 min: a settlement may upload the
   * whole log over a slow bank link).
   */
  commandMs: number;
  /** Cap of a whole transaction (its card/PIN/host messages included) or runreset (default 10 min). */
  transactionMs: number;
  /**
   * Longest silence from the terminal during any command: from the command sent to the
   * first packet, and between packets (default 3 min: longer than a terminal's card
   * detection timeout, its PIN entry timeout, or its bank host's answer with one
   * reconnect, each of which it may spend without a word). TCP keep-alive notices a
   * terminal that is gone well before.
   */
  idleMs: number;
  /** How long a message handler may take before the safe default answer is sent (default 2 s). */
  handlerMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<ClientTimeouts> = Object.freeze({
  connectMs: 5_000,
  commandMs: 600_000,
  transactionMs: 600_000,
  idleMs: 180_000,
  handlerMs: 2_000,
});

export interface ClientLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface JpayClientOptions {
  host: string;
  /** Default 4433. */
  port?: number;
  /** Admin password (8 digits): token commands, report, settlement, clear, manual entry. */
  password?: string;
  /** Encrypt every command (ECDHE handshake at login, §9). */
  encrypt?: boolean;
  timeouts?: Partial<ClientTimeouts>;
  /**
   * Largest frame accepted from the terminal, bytes, except for report, settlement and
   * clear (default 1 MiB: a receipt, parameters or a message is a few KiB).
   */
  maxFrameSize?: number;
  /** Largest frame accepted during report, settlement and clear, bytes (default 16 MiB). */
  maxReportFrameSize?: number;
  /**
   * Packets the terminal may send ahead of the client's reading, per connection (default
   * 64). Past it the connection is cut: a protocol error (`queue-overflow`), for a
   * transaction an unknown outcome.
   */
  maxQueuedPackets?: number;
  /** Bytes of those packets, and of answers the terminal does not read (default 4 MiB, at least 2 × maxFrameSize). */
  maxQueuedBytes?: number;
  /**
   * Encrypted packets remembered under one session key to refuse copies (default 16,384).
   * When reached, the next command handshakes a new key.
   */
  maxSessionPackets?: number;
  /** How far a receipt's time may lie outside the transaction's time on the terminal's clock (default 5 min). */
  receiptClockToleranceMs?: number;
  /** Keeps the newest receipt number and the terminal's clock across restarts (e.g. the recovery journal). */
  receiptWatermarks?: ReceiptWatermarkStore;
  /** Client-wide message handlers; per-call handlers override them key by key. */
  handlers?: MessageHandlers;
  logger?: Partial<ClientLogger>;
  /** Awaited around every transaction's single send (a durable journal: lib/recovery). */
  transactionHooks?: TransactionHooks;
}

/** The options with every default applied (the logger and the stores stay optional). */
export type ResolvedOptions = Required<Omit<JpayClientOptions, 'timeouts' | OptionalResolved>> &
  Pick<JpayClientOptions, OptionalResolved> & { timeouts: ClientTimeouts };
type OptionalResolved = 'password' | 'maxQueuedPackets' | 'maxQueuedBytes' | 'receiptWatermarks' | 'logger' | 'transactionHooks';

/** setTimeout's ceiling. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const HANDLER_NAMES = ['keepalive', 'display', 'dex', 'card', 'displayqrcode', 'resetKeepAlive'] as const;
const LOGGER_METHODS = ['debug', 'info', 'warn'] as const;

export function validateHandlers(value: unknown, field: string): MessageHandlers {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new JpayValidationError(field, 'must be an object of functions');
  for (const key of Object.keys(value)) {
    if (!(HANDLER_NAMES as readonly string[]).includes(key)) {
      throw new JpayValidationError(`${field}.${key}`, `is not a message handler (${HANDLER_NAMES.join(', ')})`);
    }
    if (value[key] !== undefined && typeof value[key] !== 'function') {
      throw new JpayValidationError(`${field}.${key}`, 'must be a function');
    }
  }
  return value as MessageHandlers;
}

function positiveInteger(value: unknown, field: string, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < min)) {
    throw new JpayValidationError(field, `must be an integer of at least ${min}`);
  }
}

function frameSize(value: unknown, field: string): void {
  if (value !== undefined && (!Number.isInteger(value) || (value as number) < 64 || (value as number) > MAX_CLIENT_FRAME_SIZE)) {
    throw new JpayValidationError(field, `must be an integer number of bytes from 64 to ${MAX_CLIENT_FRAME_SIZE}`);
  }
}

export function validateOptions(options: unknown): ResolvedOptions {
  if (!isRecord(options)) throw new JpayValidationError('options', 'must be an object');
  const { host, port, password, encrypt, timeouts, maxFrameSize, handlers, logger, transactionHooks } = options;
  const { maxQueuedPackets, maxQueuedBytes, maxSessionPackets, receiptClockToleranceMs, receiptWatermarks, maxReportFrameSize } = options;
  if (typeof host !== 'string' || host.trim() === '') throw new JpayValidationError('host', 'must be a non-empty string');
  if (port !== undefined && (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)) {
    throw new JpayValidationError('port', 'must be an integer 1..65535');
  }
  if (password !== undefined) validateFields('login', { password });
  if (encrypt !== undefined && typeof encrypt !== 'boolean') throw new JpayValidationError('encrypt', 'must be a boolean');
  const resolvedTimeouts: ClientTimeouts = { ...DEFAULT_TIMEOUTS };
  if (timeouts !== undefined) {
    if (!isRecord(timeouts)) throw new JpayValidationError('timeouts', 'must be an object');
    for (const [key, value] of Object.entries(timeouts)) {
      if (!Object.prototype.hasOwnProperty.call(DEFAULT_TIMEOUTS, key)) {
        throw new JpayValidationError(`timeouts.${key}`, 'is not a known timeout');
      }
      if (value === undefined) continue;
      if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_TIMER_MS) {
        throw new JpayValidationError(`timeouts.${key}`, `must be an integer number of milliseconds 1..${MAX_TIMER_MS}`);
      }
      resolvedTimeouts[key as keyof ClientTimeouts] = value as number;
    }
  }
  frameSize(maxFrameSize, 'maxFrameSize');
  frameSize(maxReportFrameSize, 'maxReportFrameSize');
  positiveInteger(maxQueuedPackets, 'maxQueuedPackets', 1);
  positiveInteger(maxQueuedBytes, 'maxQueuedBytes', 1);
  positiveInteger(maxSessionPackets, 'maxSessionPackets', 1);
  positiveInteger(receiptClockToleranceMs, 'receiptClockToleranceMs', 0);
  if (logger !== undefined) {
    if (!isRecord(logger)) throw new JpayValidationError('logger', 'must be an object with debug/info/warn functions');
    for (const method of LOGGER_METHODS) {
      if (logger[method] !== undefined && typeof logger[method] !== 'function') {
        throw new JpayValidationError(`logger.${method}`, 'must be a function');
      }
    }
  }
  return {
    host: host.trim(),
    port: (port as number | undefined) ?? DEFAULT_CLIENT_PORT,
    password: password as string | undefined,
    encrypt: encrypt === true,
    timeouts: resolvedTimeouts,
    maxFrameSize: (maxFrameSize as number | undefined) ?? DEFAULT_MAX_FRAME_SIZE,
    maxReportFrameSize: (maxReportFrameSize as number | undefined) ?? DEFAULT_MAX_REPORT_FRAME_SIZE,
    maxQueuedPackets: maxQueuedPackets as number | undefined,
    maxQueuedBytes: maxQueuedBytes as number | undefined,
    maxSessionPackets: (maxSessionPackets as number | undefined) ?? DEFAULT_MAX_SESSION_PACKETS,
    receiptClockToleranceMs: (receiptClockToleranceMs as number | undefined) ?? DEFAULT_RECEIPT_CLOCK_TOLERANCE_MS,
    receiptWatermarks: validateWatermarkStore(receiptWatermarks, 'receiptWatermarks'),
    handlers: validateHandlers(handlers, 'handlers'),
    logger: logger as Partial<ClientLogger> | undefined,
    transactionHooks: validateTransactionHooks(transactionHooks, 'transactionHooks'),
  };
}
