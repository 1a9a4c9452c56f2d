/**
 * Command requests, both directions: buildRequest() for the client (validated, vendor
 * element names and order) and parseRequest() for the terminal side (the simulator).
 */
import { packet, Packet, XmlElement } from '../codec/packet';
import { definedOnly } from '../objects';
import { JpayValidationError } from '../errors';
import { nonEmptyText, put, text } from './fields';
import { findRequestProblem, isCommandName, validateRequest, ValidationProblem } from './validation';
import { CommandName, RequestParams, TRANSACTION_TYPES, TransactionRequest, TransactionType } from './types';
import { amountToWire } from './values';

type BodyCommand = Exclude<CommandName, 'login' | 'transaction'>;

const TOKEN = [['token', 'token']] as const;
const PASSWORD = [['password', 'password']] as const;

/** The body of every command but login and transaction, in element order: parameter and element, each one required. */
const BODY_FIELDS: { [C in BodyCommand]: readonly (readonly [keyof RequestParams[C] & string, string])[] } = {
  logout: TOKEN,
  changepassword: [...TOKEN, ...PASSWORD, ['newPassword', 'newpassword']],
  updateconfiguration: TOKEN,
  loadworkkeys: TOKEN,
  loadmasterkeys: TOKEN,
  testconnection: TOKEN,
  getparameters: TOKEN,
  report: [...PASSWORD, ['reportType', 'report-type']],
  settlement: PASSWORD,
  clear: PASSWORD,
  resetpassword: [],
  sethostkey: [...TOKEN, ['name', 'name'], ['material', 'material']],
  runreset: TOKEN,
};

type Fields = readonly (readonly [string, string])[];

// Element order: every example of §8.9 is a subsequence of this order.
function transactionBody(p: RequestParams['transaction']): { body: XmlElement; attrs?: Record<string, string> } {
  const body: XmlElement = { type: p.type };
  put(body, 'currency', p.currency);
  put(body, 'number', p.number === undefined ? undefined : String(p.number));
  put(body, 'amount', p.amount === undefined ? undefined : amountToWire(p.amount, 'amount'));
  put(body, 'amount-other', p.amountOther === undefined ? undefined : amountToWire(p.amountOther, 'amountOther'));
  put(body, 'rrn', p.rrn);
  if (p.manual) {
    body.pan = p.manual.pan;
    body.expired = p.manual.expiry;
    put(body, 'password', p.password);
    put(body, 'cardholder', p.manual.cardholder);
  }
  if (p.forced === true) body.forced = 'true';
  return p.sbp === undefined ? { body } : { body, attrs: { 'force-sbp': p.sbp ? 'true' : 'false' } };
}

function bodyOf(command: CommandName, params: unknown): { body: XmlElement; attrs?: Record<string, string> } {
  if (command === 'transaction') return transactionBody(params as RequestParams['transaction']);
  if (command === 'login') {
    const p = params as RequestParams['login'];
    return { body: { password: p.password }, attrs: p.clientHandshake === undefined ? undefined : { 'client-handshake': p.clientHandshake } };
  }
  const values = params as Record<string, string>;
  return { body: Object.fromEntries((BODY_FIELDS[command] as Fields).map(([key, wire]) => [wire, values[key]])) };
}

/** Validates the parameters (JpayValidationError naming the field), then builds the command packet. */
export function buildRequest<C extends CommandName>(command: C, params: RequestParams[C]): Packet {
  if (!isCommandName(command)) throw new JpayValidationError('command', 'is not a JPAY command');
  const value = (params === undefined && command === 'resetpassword' ? {} : params) as RequestParams[C];
  validateRequest(command, value);
  const { body, attrs } = bodyOf(command, value);
  return packet(command, body, attrs ?? {});
}

// ---- Terminal side ----

export type ParsedRequest = { [C in CommandName]: { command: C; params: RequestParams[C] } }[CommandName];

export interface RequestParseFailure {
  command?: CommandName;
  /** The status the terminal answers with. */
  status: 'formaterror' | 'invalidarguments' | 'notimplemented';
  /** Wire name of the offending element or attribute (`amount-other`, `expired`, `force-sbp`). */
  field: string;
  /** Plain English, never the value. */
  reason: string;
}

export type RequestParseResult = { ok: true; request: ParsedRequest } | { ok: false; failure: RequestParseFailure };

class ParseFailure extends Error {
  constructor(readonly failure: RequestParseFailure) {
    super(failure.reason);
  }
}

function fail(command: CommandName, status: RequestParseFailure['status'], field: string, reason: string): never {
  throw new ParseFailure({ command, status, field, reason });
}

// Parameter paths (as validateRequest names them) → the wire names a terminal reports.
const WIRE_NAMES: Readonly<Record<string, string>> = {
  amountOther: 'amount-other',
  'manual.pan': 'pan',
  'manual.expiry': 'expired',
  'manual.cardholder': 'cardholder',
  manual: 'pan',
  newPassword: 'newpassword',
  reportType: 'report-type',
  clientHandshake: 'client-handshake',
  sbp: 'force-sbp',
};

function failureOf(command: CommandName, problem: ValidationProblem): RequestParseFailure {
  const field = WIRE_NAMES[problem.field] ?? problem.field;
  const status = problem.kind === 'format' ? 'formaterror' : 'invalidarguments';
  return { command, status, field, reason: problem.rule };
}

function required(command: CommandName, body: XmlElement, name: string): string {
  const value = text(body, name);
  if (value === undefined || value === '') fail(command, 'invalidarguments', name, 'is required');
  return value;
}

function optionalBoolean(command: CommandName, raw: string | undefined, field: string): boolean | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  fail(command, 'formaterror', field, 'must be true or false');
}

/**
 * §8.9: "the amount must be given as 12 digits with leading zeros, in kopecks". Anything
 * else (`12300`, 13 digits, a sign, a decimal point) is a representation error, so
 * `formaterror` (Appendix A: "ошибка представления данных"); `invalidarguments` is kept for
 * well-formed values the operation cannot take (a void above what is left).
 */
function wireAmount(command: CommandName, raw: string | undefined, field: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{12}$/.test(raw)) fail(command, 'formaterror', field, 'must be exactly 12 digits of minor units (kopecks) with leading zeros');
  return Number(raw);
}

/**
 * A value the document gives both as an element and as an attribute: §8.9 says "add the
 * attribute forced = true" but its example writes an element `<forced>true</forced>`; a
 * type may come as either. Both are read ('' = absent); the two with different values is refused.
 */
function elementOrAttribute<T>(command: CommandName, p: Packet, name: string, read: (raw: string | undefined) => T | undefined): T | undefined {
  const given = (raw: string | undefined): T | undefined => read(raw?.trim() === '' ? undefined : raw?.trim());
  const element = given(text(p.body, name));
  const attribute = given(p.attrs[name]);
  if (element !== undefined && attribute !== undefined && element !== attribute) {
    fail(command, 'invalidarguments', name, 'is given twice (element and attribute) with different values');
  }
  return element ?? attribute;
}

function transactionType(command: CommandName, p: Packet): TransactionType {
  const type = elementOrAttribute(command, p, 'type', (t) => {
    const v = t?.toLowerCase();
    return v === 'payment' ? 'purchase' : v;
  });
  if (type === undefined) fail(command, 'invalidarguments', 'type', 'is required');
  if (!(TRANSACTION_TYPES as readonly string[]).includes(type)) {
    fail(command, 'invalidarguments', 'type', `must be one of ${TRANSACTION_TYPES.join(', ')}`);
  }
  return type as TransactionType;
}

function transactionParams(p: Packet): RequestParams['transaction'] {
  const c: CommandName = 'transaction';
  const b = p.body;
  // Checked in this order: the first problem is the one reported.
  return definedOnly<RequestParams['transaction']>({
    type: transactionType(c, p),
    amount: wireAmount(c, nonEmptyText(b, 'amount'), 'amount'),
    amountOther: wireAmount(c, nonEmptyText(b, 'amount-other'), 'amount-other'),
    currency: nonEmptyText(b, 'currency'),
    rrn: nonEmptyText(b, 'rrn'),
    number: receiptNumber(c, nonEmptyText(b, 'number')),
    forced: elementOrAttribute(c, p, 'forced', (raw) => optionalBoolean(c, raw, 'forced')),
    sbp: optionalBoolean(c, p.attrs['force-sbp'], 'force-sbp'),
    manual: manualEntry(c, b),
    password: nonEmptyText(b, 'password'),
  });
}

function receiptNumber(command: CommandName, raw: string | undefined): number | 'last' | undefined {
  if (raw === undefined) return undefined;
  if (raw.toLowerCase() === 'last') return 'last';
  if (/^\d{1,6}$/.test(raw)) return Number(raw);
  fail(command, 'formaterror', 'number', 'must be a receipt number (up to 6 digits) or last');
}

function manualEntry(command: CommandName, b: XmlElement): TransactionRequest['manual'] {
  const pan = nonEmptyText(b, 'pan');
  const expired = nonEmptyText(b, 'expired');
  const cardholder = nonEmptyText(b, 'cardholder');
  if (pan === undefined && expired === undefined && cardholder === undefined) return undefined;
  if (pan === undefined) fail(command, 'invalidarguments', 'pan', 'is required with manual card entry (expired, cardholder)');
  if (expired === undefined) fail(command, 'invalidarguments', 'expired', 'is required with manual card entry (pan)');
  return definedOnly({ pan, expiry: expired, cardholder });
}

function paramsOf(command: CommandName, p: Packet): RequestParams[CommandName] {
  if (command === 'transaction') return transactionParams(p);
  if (command === 'login') {
    const password = required('login', p.body, 'password');
    const handshake = p.attrs['client-handshake']?.trim();
    return handshake === undefined ? { password } : { password, clientHandshake: handshake };
  }
  const params: Record<string, string> = {};
  for (const [key, wire] of BODY_FIELDS[command] as Fields) params[key] = required(command, p.body, wire);
  // Base64 key material may be wrapped over lines.
  if (command === 'sethostkey') params.material = params.material.replace(/\s+/g, '');
  return params as RequestParams[CommandName];
}

/**
 * Terminal side: a command packet → typed parameters, or the failure status to answer
 * with. Unknown elements are ignored; passwords and tokens are not checked here.
 */
export function parseRequest(p: Packet): RequestParseResult {
  const command = p.name;
  if (!isCommandName(command)) {
    return { ok: false, failure: { status: 'notimplemented', field: command, reason: 'is not a JPAY command' } };
  }
  try {
    const params = paramsOf(command, p);
    const problem = findRequestProblem(command, params);
    if (problem) return { ok: false, failure: failureOf(command, problem) };
    return { ok: true, request: { command, params } as ParsedRequest };
  } catch (error) {
    if (error instanceof ParseFailure) return { ok: false, failure: error.failure };
    throw error;
  }
}
