/**
 * Hooks around the single send of a transaction, for a durable journal (lib/recovery).
 * `beforeSend` runs once any login is done, while the transaction's connection opens, and
 * the first byte of the transaction is written only after it resolved: a journal records
 * the transaction there, durably (its sync overlapping the TCP handshake), so a crash or
 * a lost response can never leave a payment nobody knows about. Rejecting stops the
 * transaction (nothing is sent; transaction() rejects with that error). When the
 * connection cannot be opened, `settled` hears `not-sent`. `settled` is awaited before
 * transaction() resolves or rejects.
 */
import { JpayValidationError, TransactionOutcomeUnknown } from '../errors';
import type { TransactionRequest, TransactionResult } from '../protocol/types';
import { isRecord } from '../objects';

/** Caller's notes for the hooks (e.g. a request id, "reverse if approved"). Plain values only. */
export type TransactionAnnotations = Readonly<Record<string, string | number | boolean>>;

/** What is about to be sent. Never card data: a manual entry is only flagged `manual: true`. */
export interface TransactionStart {
  request: Omit<TransactionRequest, 'manual'> & { manual?: true };
  host: string;
  port: number;
  encrypted: boolean;
  annotations: TransactionAnnotations;
}

export type TransactionSettlement =
  /** The terminal answered (any status, declined and cancelled included). */
  | { kind: 'answered'; result: TransactionResult }
  /** It was (or may have been) sent and no usable answer came. */
  | { kind: 'unknown'; error: TransactionOutcomeUnknown }
  /** beforeSend had run, then the exchange stopped before the first byte was written. */
  | { kind: 'not-sent'; error: Error };

export interface TransactionHooks {
  /** The value it resolves with is handed back to `settled`. */
  beforeSend?(start: TransactionStart): unknown;
  /** Errors thrown here are logged and never change the transaction's result. */
  settled?(ticket: unknown, settlement: TransactionSettlement): unknown;
}

const HOOK_NAMES = ['beforeSend', 'settled'] as const;
const ANNOTATION_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

export function validateTransactionHooks(value: unknown, field: string): TransactionHooks | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new JpayValidationError(field, 'must be an object with beforeSend/settled functions');
  for (const name of HOOK_NAMES) {
    if (value[name] !== undefined && typeof value[name] !== 'function') throw new JpayValidationError(`${field}.${name}`, 'must be a function');
  }
  return value as TransactionHooks;
}

export function validateAnnotations(value: unknown, field: string): TransactionAnnotations | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new JpayValidationError(field, 'must be an object of strings, numbers and booleans');
  for (const [key, v] of Object.entries(value)) {
    if (!ANNOTATION_KEY.test(key)) throw new JpayValidationError(`${field}.${key.slice(0, 64)}`, 'is not a valid annotation name');
    const ok = typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 256);
    if (!ok) throw new JpayValidationError(`${field}.${key}`, 'must be a boolean, a finite number or a string of at most 256 characters');
  }
  return { ...value } as TransactionAnnotations;
}

/** The request as hooks see it: no PAN, no expiry, no cardholder. */
export function hookRequest(req: TransactionRequest): TransactionStart['request'] {
  const { manual, ...rest } = req;
  const out: TransactionStart['request'] = { ...rest };
  if (manual !== undefined) out.manual = true;
  return out;
}
