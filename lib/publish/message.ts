/**
 * The receipt message: a scrubbed Receipt wrapped with its stable `receiptId`.
 *
 * receiptId = `<tid>-<seq>-<yyyymmddThhmmss>` from the receipt itself (tid falls back to the
 * publisher's terminal id), so the same receipt always gets the same id — after a restart,
 * a replay or a second publish. A receipt without a number or date-time gets
 * `<tid>-h<24 hex>`: a SHA-256 over its scrubbed content, equally deterministic.
 */
import { createHash } from 'node:crypto';
import { JpayValidationError } from '../errors';
import type { Receipt } from '../protocol/types';
import { maskPanValue, maskPansInText, sanitizeObject, sanitizeValue } from './sanitize';
import { assertReceiptMessage, RECEIPT_MESSAGE_FORMAT, RECEIPT_MESSAGE_SCHEMA, RECEIPT_SCHEMA } from './schema';
import { checkTerminalId } from './topics';

export interface ReceiptMessage {
  format: typeof RECEIPT_MESSAGE_FORMAT;
  receiptId: string;
  terminalId: string;
  /** UTC ISO time the receipt entered the outbox; a replay carries the same value. */
  queuedAt: string;
  /** The receipt with PANs masked and secrets removed. */
  receipt: Receipt;
  meta?: Record<string, unknown>;
}

const ID_PATTERN = new RegExp(RECEIPT_MESSAGE_SCHEMA.properties.receiptId.pattern);

const text = (v: unknown): unknown => (typeof v === 'string' ? maskPansInText(v) : v);

/**
 * A whitelisted copy of a receipt: only the fields of the receipt schema, PAN masked, free
 * text scrubbed, objects (`cft`, `extra`) scrubbed (no plain-text-pan, password, token…).
 * Values of the wrong type are copied as they are, for the schema to refuse.
 */
export function sanitizeReceipt(receipt: Receipt): Receipt {
  const src = receipt as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(RECEIPT_SCHEMA.properties as Record<string, { type?: string }>)) {
    const value = src[key];
    if (value === undefined) continue;
    if (key === 'pan' && typeof value === 'string') out.pan = maskPansInText(maskPanValue(value));
    else if (rule.type === 'string') out[key] = text(value);
    else if (rule.type === 'array') out[key] = Array.isArray(value) ? value.map(text) : value;
    else if (rule.type === 'object') out[key] = sanitizeValue(value);
    else out[key] = value;
  }
  out.approved ??= false;
  return out as unknown as Receipt;
}

const idPart = (s: string): string => s.trim().replace(/[^A-Za-z0-9._]/g, '_');

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The stable id of a (scrubbed) receipt; see the top of this file. */
export function receiptIdOf(terminalId: string, receipt: Receipt): string {
  const tid = idPart(receipt.tid && receipt.tid.trim() !== '' ? receipt.tid : terminalId);
  const seq = typeof receipt.seq === 'string' ? idPart(receipt.seq) : '';
  const datetime = typeof receipt.datetime === 'string' ? receipt.datetime.replace(/[-:]/g, '') : '';
  if (seq !== '' && datetime !== '') return `${tid}-${seq}-${idPart(datetime)}`.slice(0, 200);
  const hash = createHash('sha256').update(canonical(receipt)).digest('hex').slice(0, 24);
  return `${tid.slice(0, 170)}-h${hash}`;
}

export interface BuildOptions {
  /** Your own data, published under `meta` (scrubbed of secrets and full PANs). */
  meta?: Record<string, unknown>;
  /** Overrides the computed receiptId; it must be the same every time for the same receipt. */
  receiptId?: string;
  now?: Date;
}

/** Builds and validates a receipt message; throws JpayValidationError. */
export function buildReceiptMessage(terminalId: string, receipt: Receipt, options: BuildOptions = {}): ReceiptMessage {
  checkTerminalId(terminalId);
  if (receipt === null || typeof receipt !== 'object') throw new JpayValidationError('receipt', 'must be an object');
  const clean = sanitizeReceipt(receipt);
  if (options.receiptId !== undefined && !ID_PATTERN.test(options.receiptId)) {
    throw new JpayValidationError('receiptId', 'must be 1–200 characters of A-Z a-z 0-9 . _ -');
  }
  const message: ReceiptMessage = {
    format: RECEIPT_MESSAGE_FORMAT,
    receiptId: options.receiptId ?? receiptIdOf(terminalId, clean),
    terminalId,
    queuedAt: (options.now ?? new Date()).toISOString(),
    receipt: clean,
  };
  if (options.meta !== undefined) message.meta = sanitizeObject(options.meta);
  assertReceiptMessage(message);
  return message;
}
