/**
 * `msg.payload` + the editor's defaults → a TransactionRequest. This file only converts
 * (a numeric currency, a receipt number given as text, the editor's strings); every rule
 * about a field is the protocol's (lib/protocol/schemas.ts), checked before a byte is sent
 * and reported as a JpayValidationError naming the field as the flow wrote it
 * (`msg.payload.amount`, or `amount` for an editor default). Knows nothing of Node-RED.
 */
import { JpayValidationError } from '../../lib/errors';
import { validateFields, validateSendParams, type FieldNamer } from '../../lib/protocol/validation';
import { numberIfDigits } from '../../lib/protocol/values';
import type { FlowTransactionRequest } from '../../lib/results/transaction';

export type { FlowTransactionRequest };

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

/** Manual card entry: a flow never carries card data in a msg. */
const CARD_DATA_FIELDS: ReadonlySet<string> = new Set(['manual', 'pan', 'expiry', 'cardholder']);
const inPayload: FieldNamer = (field) => `msg.payload.${field}`;

/** ISO 4217 codes are 3 digits with leading zeros; a flow may give 36 for "036". */
function currencyText(value: unknown): unknown {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 999 ? String(value).padStart(3, '0') : value;
}

function editorText(value: string | number | undefined): string | number | undefined {
  if (typeof value !== 'string') return value;
  const s = value.trim();
  return s === '' ? undefined : s;
}

/** The editor's defaults, each checked by its own rule (a bad default is reported when the node starts). */
export function parseTransactionDefaults(config: TransactionDefaultsConfig): Partial<FlowTransactionRequest> {
  let sbp: boolean | undefined;
  if (config.sbp === 'only') sbp = true;
  else if (config.sbp === 'off') sbp = false;
  else if (config.sbp !== undefined && config.sbp !== '' && config.sbp !== 'auto') throw new JpayValidationError('sbp', 'must be auto, only or off');
  const defaults = {
    type: config.txType ?? 'purchase',
    amount: numberIfDigits(editorText(config.amount)),
    amountOther: numberIfDigits(editorText(config.amountOther)),
    currency: editorText(config.currency),
    rrn: editorText(config.rrn),
    number: numberIfDigits(editorText(config.number)),
    forced: config.forced === true ? true : undefined,
    sbp,
  };
  validateFields('transaction', defaults);
  return withoutUndefined(defaults) as Partial<FlowTransactionRequest>;
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * Builds the request. A plain-object payload overrides the defaults field by field (a
 * null or undefined field is not given); any other payload (an inject timestamp, a string)
 * is ignored and the defaults alone apply. When the payload names a different `type` than
 * the editor's, no default applies: the payload describes the whole transaction (a default
 * amount must never leak into a void).
 */
export function buildTransactionRequest(payload: unknown, defaults: Partial<FlowTransactionRequest>): FlowTransactionRequest {
  const given: Record<string, unknown> = {};
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload) && !Buffer.isBuffer(payload)) {
    for (const [key, value] of Object.entries(payload)) {
      if (CARD_DATA_FIELDS.has(key)) throw new JpayValidationError(inPayload(key), 'manual card entry is not accepted from a msg');
      if (value !== undefined && value !== null) given[key] = value;
    }
  }
  if (given.currency !== undefined) given.currency = currencyText(given.currency);
  if (given.number !== undefined) given.number = numberIfDigits(given.number);
  const type = given.type ?? defaults.type;
  const request = type === defaults.type ? { ...defaults, ...given } : given;
  validateSendParams('transaction', request, inPayload);
  return request as FlowTransactionRequest;
}
