/**
 * `msg.payload` + the node's fields → a TransactionRequest. This file only converts (a
 * numeric currency, a receipt number given as text, the editor's strings); every rule about
 * a field is the protocol's (lib/protocol/schemas.ts), checked before a byte is sent and
 * reported as a JpayValidationError naming the field as the flow wrote it
 * (`msg.payload.amount`, `amount` for a value typed in the editor, `amount (msg.price)` for
 * one the node takes from the msg, flow, global, env or JSONata).
 *
 * Precedence: a field of `msg.payload` comes first; then the node's field, whatever its
 * source. When `msg.payload.type` names another type than the node's, none of the node's
 * fields apply (a default amount must never leak into a void).
 */
import { definedOnly } from '../../lib/objects';
import { JpayValidationError } from '../../lib/errors';
import { validateFields, validateSendParams, type FieldNamer } from '../../lib/protocol/validation';
import { numberIfDigits } from '../../lib/protocol/values';
import type { FlowTransactionRequest } from '../../lib/results/transaction';

export type { FlowTransactionRequest };

/** The node's fields that take a typedInput, and the request field each one sets. */
export const TYPED_FIELDS = { txType: 'type', amount: 'amount', amountOther: 'amountOther', currency: 'currency', rrn: 'rrn', number: 'number' } as const;
export type TypedField = keyof typeof TYPED_FIELDS;

/** typedInput types whose value is the field itself (the others are read for each msg). */
const LITERAL_TYPES: ReadonlySet<string> = new Set(['', 'num', 'str', 'txType']);

/** The editor's fields, as Node-RED stores them (strings and booleans), with their typedInput types. */
export interface TransactionDefaultsConfig {
  txType?: string;
  amount?: string | number;
  amountOther?: string | number;
  currency?: string;
  rrn?: string;
  number?: string;
  /** `<field>Type`: num, str, txType (the value itself) or msg, flow, global, env, jsonata. Absent: the value itself. */
  txTypeType?: string;
  amountType?: string;
  amountOtherType?: string;
  currencyType?: string;
  rrnType?: string;
  numberType?: string;
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

/** The type of a typed field (`msg`, `jsonata`…); undefined when its value is the field itself. */
export function dynamicType(config: TransactionDefaultsConfig, field: TypedField): string | undefined {
  const type = config[`${field}Type`];
  return type === undefined || LITERAL_TYPES.has(type) ? undefined : type;
}

/** The typed fields read for each msg, with what to read (`msg.price`, `env AMOUNT`…). */
export function dynamicFields(config: TransactionDefaultsConfig): { field: TypedField; type: string; value: string }[] {
  return (Object.keys(TYPED_FIELDS) as TypedField[]).flatMap((field) => {
    const type = dynamicType(config, field);
    const value = String(config[field] ?? '').trim();
    return type === undefined || value === '' ? [] : [{ field, type, value }];
  });
}

/** How an error names a field read for each msg: `amount (msg.price)`. */
export function sourceName(field: TypedField, type: string, value: string): string {
  const where = type === 'jsonata' ? 'JSONata' : type;
  return `${TYPED_FIELDS[field]} (${where === 'msg' || where === 'flow' || where === 'global' ? `${where}.${value}` : `${where} ${value.slice(0, 40)}`})`;
}

/**
 * The node's fields for one msg: the literal ones (`defaults`, checked when the node
 * started) with the values read for this msg over them, converted like the payload's and
 * checked by the same rules, an error naming the field and where it came from. A value
 * read as undefined, null or '' is not given.
 */
export function withReadFields(
  defaults: Partial<FlowTransactionRequest>,
  config: TransactionDefaultsConfig,
  read: Partial<Record<TypedField, unknown>>,
): Partial<FlowTransactionRequest> {
  const fields: Record<string, unknown> = {};
  const names = new Map<string, string>();
  for (const { field, type, value } of dynamicFields(config)) {
    let v = read[field];
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) continue;
    if (typeof v === 'string') v = v.trim();
    const key = TYPED_FIELDS[field];
    if (key === 'amount' || key === 'amountOther' || key === 'number') v = numberIfDigits(v);
    if (key === 'currency') v = currencyText(v);
    fields[key] = v;
    names.set(key, sourceName(field, type, value));
  }
  validateFields('transaction', fields, (f) => names.get(f) ?? f);
  return { ...defaults, ...fields } as Partial<FlowTransactionRequest>;
}

/** The editor's literal fields, each checked by its own rule (a bad one is reported when the node starts); fields read for each msg are left out. */
export function parseTransactionDefaults(config: TransactionDefaultsConfig): Partial<FlowTransactionRequest> {
  const literal = (field: TypedField): string | number | undefined => (dynamicType(config, field) === undefined ? editorText(config[field]) : undefined);
  let sbp: boolean | undefined;
  if (config.sbp === 'only') sbp = true;
  else if (config.sbp === 'off') sbp = false;
  else if (config.sbp !== undefined && config.sbp !== '' && config.sbp !== 'auto') throw new JpayValidationError('sbp', 'must be auto, only or off');
  const defaults = {
    type: dynamicType(config, 'txType') === undefined ? (config.txType ?? 'purchase') : undefined,
    amount: numberIfDigits(literal('amount')),
    amountOther: numberIfDigits(literal('amountOther')),
    currency: literal('currency'),
    rrn: literal('rrn'),
    number: numberIfDigits(literal('number')),
    forced: config.forced === true ? true : undefined,
    sbp,
  };
  validateFields('transaction', defaults);
  return definedOnly(defaults) as Partial<FlowTransactionRequest>;
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
