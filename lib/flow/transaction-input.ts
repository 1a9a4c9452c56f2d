/**
 * `msg.payload` + the editor's defaults → a TransactionRequest, checked before a byte is
 * sent. Every refusal is a JpayValidationError naming the field (`msg.payload.amount`).
 * Knows nothing of Node-RED.
 */
import { JpayValidationError } from '../errors';
import { TRANSACTION_TYPES, type TransactionRequest, type TransactionType } from '../protocol/types';

/** The request a flow may ask for: no manual card entry (that needs a PAN in a msg). */
export type FlowTransactionRequest = Omit<TransactionRequest, 'manual'>;

/** The editor's fields, as Node-RED stores them (strings and booleans). */
export interface TransactionDefaultsConfig {
  txType?: string;
  amount?: string | number;
  amountOther?: string | number;
  currency?: string;
  rrn?: string;
  number?: string;
  forced?: boolean;
  /** 'auto' (as configured on the terminal), 'only' (force-sbp=true), 'off' (force-sbp=false). */
  sbp?: string;
}

/** The largest amount the wire format carries (12 digits). */
export const MAX_AMOUNT = 999_999_999_999;
const MAX_RECEIPT_NUMBER = 999_999;
const PAYLOAD_FIELDS = ['type', 'amount', 'amountOther', 'currency', 'rrn', 'number', 'forced', 'sbp'] as const;
type PayloadField = (typeof PAYLOAD_FIELDS)[number];

function fail(field: string, rule: string): never {
  throw new JpayValidationError(field, rule);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

export function isTransactionType(v: unknown): v is TransactionType {
  return typeof v === 'string' && (TRANSACTION_TYPES as readonly string[]).includes(v);
}

/** An amount in minor units: a safe non-negative integer of at most 12 digits. Strings and floats are refused. */
export function checkAmount(value: unknown, field: string): number {
  if (typeof value !== 'number') {
    fail(field, `must be an integer number of minor units (kopecks), got ${typeof value === 'string' ? 'a string' : typeof value}`);
  }
  if (!Number.isInteger(value)) fail(field, `must be an integer number of minor units (kopecks), got ${value}`);
  if (value < 0) fail(field, 'must not be negative');
  if (value > MAX_AMOUNT) fail(field, `must be at most ${MAX_AMOUNT}`);
  return value;
}

function checkCurrency(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 999) {
    return String(value).padStart(3, '0');
  }
  if (typeof value === 'string' && /^\d{3}$/.test(value)) return value;
  return fail(field, 'must be an ISO 4217 numeric code of 3 digits, e.g. "643"');
}

function checkRrn(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^[0-9A-Za-z]{1,12}$/.test(value)) fail(field, 'must be a string of up to 12 letters or digits');
  return value;
}

function checkNumber(value: unknown, field: string): number | 'last' {
  if (value === 'last') return 'last';
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_RECEIPT_NUMBER) return value;
  if (typeof value === 'string' && /^\d{1,6}$/.test(value)) return Number(value);
  return fail(field, 'must be a receipt number (up to 6 digits) or "last"');
}

function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') fail(field, 'must be true or false');
  return value;
}

/** The editor's defaults, checked the same way (a bad default is reported when the node starts). */
export function parseTransactionDefaults(config: TransactionDefaultsConfig): Partial<FlowTransactionRequest> {
  const out: Partial<FlowTransactionRequest> = {};
  const type = config.txType ?? 'purchase';
  if (!isTransactionType(type)) fail('type', `must be one of ${TRANSACTION_TYPES.join(', ')}`);
  out.type = type;
  const amount = editorInteger(config.amount, 'amount');
  if (amount !== undefined) out.amount = amount;
  const other = editorInteger(config.amountOther, 'amountOther');
  if (other !== undefined) out.amountOther = other;
  if (nonEmpty(config.currency)) out.currency = checkCurrency(config.currency.trim(), 'currency');
  if (nonEmpty(config.rrn)) out.rrn = checkRrn(config.rrn.trim(), 'rrn');
  if (nonEmpty(config.number)) out.number = checkNumber(config.number.trim(), 'number');
  if (config.forced === true) out.forced = true;
  if (config.sbp === 'only') out.sbp = true;
  else if (config.sbp === 'off') out.sbp = false;
  else if (config.sbp !== undefined && config.sbp !== '' && config.sbp !== 'auto') fail('sbp', 'must be auto, only or off');
  return out;
}

function nonEmpty(s: string | undefined): s is string {
  return typeof s === 'string' && s.trim() !== '';
}

function editorInteger(v: string | number | undefined, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'number') return checkAmount(v, field);
  const s = v.trim();
  if (s === '') return undefined;
  if (!/^\d+$/.test(s)) fail(field, 'must be an integer number of minor units (kopecks)');
  return checkAmount(Number(s), field);
}

/**
 * Builds the request. A plain-object payload overrides the defaults field by field; any
 * other payload (an inject timestamp, a string) is ignored and the defaults alone apply.
 * When the payload names a different `type` than the editor's, no default applies: the
 * payload describes the whole transaction (a default amount must never leak into a void).
 */
export function buildTransactionRequest(payload: unknown, defaults: Partial<FlowTransactionRequest>): FlowTransactionRequest {
  const given: Partial<Record<PayloadField, unknown>> = {};
  if (isPlainObject(payload)) {
    for (const [key, value] of Object.entries(payload)) {
      if (!(PAYLOAD_FIELDS as readonly string[]).includes(key)) {
        fail(`msg.payload.${key}`, key === 'pan' ? 'manual card entry is not accepted from a msg' : 'unknown field');
      }
      if (value !== undefined && value !== null) given[key as PayloadField] = value;
    }
  }
  const f = (name: PayloadField): string => `msg.payload.${name}`;

  let type: TransactionType;
  if (given.type === undefined) {
    if (defaults.type === undefined) fail(f('type'), `is required (${TRANSACTION_TYPES.join(', ')})`);
    type = defaults.type;
  } else {
    if (!isTransactionType(given.type)) fail(f('type'), `must be one of ${TRANSACTION_TYPES.join(', ')}`);
    type = given.type;
  }
  const base: Partial<FlowTransactionRequest> = type === defaults.type ? defaults : {};

  const req: FlowTransactionRequest = { type };
  const amount = given.amount !== undefined ? checkAmount(given.amount, f('amount')) : base.amount;
  const amountOther = given.amountOther !== undefined ? checkAmount(given.amountOther, f('amountOther')) : base.amountOther;
  const currency = given.currency !== undefined ? checkCurrency(given.currency, f('currency')) : base.currency;
  const rrn = given.rrn !== undefined ? checkRrn(given.rrn, f('rrn')) : base.rrn;
  const number = given.number !== undefined ? checkNumber(given.number, f('number')) : base.number;
  const forced = given.forced !== undefined ? checkBoolean(given.forced, f('forced')) : base.forced;
  const sbp = given.sbp !== undefined ? checkBoolean(given.sbp, f('sbp')) : base.sbp;

  if (type === 'void') {
    if (number === undefined) fail(f('number'), 'is required for a void (a receipt number or "last")');
    req.number = number;
    if (amount !== undefined) req.amount = positive(amount, f('amount'));
  } else {
    if (amount === undefined) fail(f('amount'), `is required for ${type}`);
    req.amount = positive(amount, f('amount'));
    if (number !== undefined) fail(f('number'), 'is only for a void');
  }
  if (type === 'purchase-with-cashback') {
    if (amountOther === undefined) fail(f('amountOther'), 'is required for purchase-with-cashback (the cashback amount)');
    req.amountOther = positive(amountOther, f('amountOther'));
  } else if (amountOther !== undefined) {
    fail(f('amountOther'), 'is only for purchase-with-cashback');
  }
  if (rrn !== undefined) {
    if (type !== 'refund') fail(f('rrn'), 'is only for a refund');
    req.rrn = rrn;
  }
  if (forced !== undefined) {
    if (forced && type !== 'refund') fail(f('forced'), 'is only for a refund');
    if (forced) req.forced = true;
  }
  if (currency !== undefined) req.currency = currency;
  if (sbp !== undefined) req.sbp = sbp;
  return req;
}

function positive(n: number, field: string): number {
  if (n === 0) fail(field, 'must be greater than 0');
  return n;
}
