/**
 * Command responses, both directions: parseResponse() for the client, buildResponse() and
 * responseToPacket() for the terminal side. Statuses are data: a non-ok status never throws.
 */
import { childElement, childText, packet, Packet, XmlElement } from '../codec/packet';
import { JpayProtocolError, JpayValidationError } from '../errors';
import { lines, nonEmptyText } from './fields';
import {
  masterKeysToElement,
  parametersToElement,
  parseMasterKeysReceipt,
  parseParameters,
  parseWorkKeysReceipt,
  workKeysToElements,
} from './parameters';
import { parseReceipt, PLAIN_TEXT_PAN, receiptToElement } from './receipt';
import { parseSReport, parseXReport, sreportToElement, xreportToElement } from './report';
import { isCommandName } from './validation';
import { Secret } from './secret';
import { decodeErrorStack, encodeErrorText, parseStatus } from './status';
import { CommandName, ResponseBase, ResponseToWrite, ResponseTypes, SReport, TransactionResult } from './types';

/** Status (raw and ok) and the decoded error stack of any answer or response. */
export function parseResponseBase(p: Packet): ResponseBase {
  const status = parseStatus(childText(p.body, 'status'));
  return { status: status.raw, ok: status.ok, errors: decodeErrorStack(lines(p.body, 'error-stack', 'error')) };
}

function parseTransaction(p: Packet, base: ResponseBase): TransactionResult {
  const receiptElement = childElement(p.body, 'receipt');
  const receipt = receiptElement === undefined ? undefined : parseReceipt(receiptElement);
  // §9 does not say where plain-text-pan sits; PROTOCOL.md lists it in the receipt. Read both.
  const pan = nonEmptyText(receiptElement, PLAIN_TEXT_PAN) ?? nonEmptyText(p.body, PLAIN_TEXT_PAN);
  // Written out rather than `{ ...base, approved }`: the spread cost ≈ 2 µs per receipt (docs/benchmarks.md).
  const result: TransactionResult = { status: base.status, ok: base.ok, errors: base.errors, approved: receipt?.approved === true };
  if (receipt) result.receipt = receipt;
  if (pan !== undefined) result.plainTextPan = new Secret(pan);
  return result;
}

function parseSettlementLike(p: Packet, base: ResponseBase): ResponseBase & { report?: SReport } {
  const el = childElement(p.body, 'sreport');
  if (el === undefined) return base;
  const report = parseSReport(el);
  // Without settlement-result (clear), the status decides.
  if (report.settlementResult === undefined) report.passed = base.ok;
  return { ...base, report };
}

type ResponseParser<C extends CommandName> = (p: Packet, base: ResponseBase) => ResponseTypes[C];

/** A parser for an answer whose body may hold one child `name`, read into `key`. */
function oneChild<R extends ResponseBase, K extends keyof R & string>(name: string, key: K, parse: (el: XmlElement) => NonNullable<R[K]>): (p: Packet, base: ResponseBase) => R {
  return (p, base) => {
    const el = childElement(p.body, name);
    return (el === undefined ? base : { ...base, [key]: parse(el) }) as R;
  };
}

/** The commands whose answer carries more than a status and errors. */
const PARSERS: { [C in CommandName]?: ResponseParser<C> } = {
  login: (p, base) => {
    const r: ResponseTypes['login'] = { ...base };
    const token = nonEmptyText(p.body, 'token');
    if (token !== undefined) r.token = token;
    const handshake = p.attrs['server-handshake']?.trim();
    if (handshake) r.serverHandshake = handshake;
    return r;
  },
  loadworkkeys: (p, base) => {
    const receipt = parseWorkKeysReceipt(p.body);
    return Object.keys(receipt).length > 0 ? { ...base, receipt } : base;
  },
  loadmasterkeys: oneChild('receipt', 'receipt', parseMasterKeysReceipt),
  getparameters: oneChild('parameters', 'parameters', parseParameters),
  transaction: parseTransaction,
  report: oneChild('xreport', 'report', parseXReport),
  settlement: parseSettlementLike,
  clear: parseSettlementLike,
};

/**
 * A response packet → its typed result. Throws JpayProtocolError('unexpected-packet') if
 * the root is not the command's name (a message must be dispatched before this).
 */
export function parseResponse<C extends CommandName>(command: C, p: Packet): ResponseTypes[C] {
  if (!isCommandName(command)) throw new JpayValidationError('command', 'is not a JPAY command');
  if (p.name !== command) {
    throw new JpayProtocolError('unexpected-packet', `expected a <${command}> response, got <${p.name.slice(0, 64)}>`);
  }
  const base = parseResponseBase(p);
  const parser = PARSERS[command] as ResponseParser<C> | undefined;
  return parser === undefined ? (base as ResponseTypes[C]) : parser(p, base);
}

// ---- Terminal side ----

/**
 * `<command><status>…</status>…body children…<error-stack><error>HEX</error>…</error-stack></command>`.
 * The error stack is written only when errors is non-empty; a `status` or `error-stack`
 * inside body is replaced. `attrs` (e.g. `server-handshake`) go on the root.
 */
export function buildResponse(
  command: string,
  status: string,
  body: XmlElement = {},
  errors: readonly string[] = [],
  attrs: Record<string, string> = {},
): Packet {
  const out: XmlElement = { status };
  for (const [name, node] of Object.entries(body)) {
    if (name !== 'status' && name !== 'error-stack') out[name] = node;
  }
  if (errors.length > 0) out['error-stack'] = { error: errors.map(encodeErrorText) };
  return packet(command, out, attrs);
}

type BodyWriter<C extends CommandName> = (r: ResponseToWrite<C>) => { body: XmlElement; attrs?: Record<string, string> };

/** A body with one child, or an empty body when the value is absent. */
function one(name: string, node: XmlElement | string | undefined): XmlElement {
  return node === undefined ? {} : { [name]: node };
}

/** The commands whose answer carries more than a status and errors (the inverse of PARSERS). */
const WRITERS: { [C in CommandName]?: BodyWriter<C> } = {
  login: (r) => ({
    body: one('token', r.token),
    attrs: r.serverHandshake === undefined ? undefined : { 'server-handshake': r.serverHandshake },
  }),
  loadworkkeys: (r) => ({ body: r.receipt ? workKeysToElements(r.receipt) : {} }),
  loadmasterkeys: (r) => ({ body: one('receipt', r.receipt && masterKeysToElement(r.receipt)) }),
  getparameters: (r) => ({ body: one('parameters', r.parameters && parametersToElement(r.parameters)) }),
  transaction: (r) => {
    const pan = r.plainTextPan?.reveal();
    if (!r.receipt) return { body: one(PLAIN_TEXT_PAN, pan) };
    return { body: one('receipt', receiptToElement(r.receipt, pan === undefined ? {} : { plainTextPan: pan })) };
  },
  report: (r) => ({ body: one('xreport', r.report && xreportToElement(r.report)) }),
  settlement: (r) => ({ body: one('sreport', r.report && sreportToElement(r.report)) }),
  clear: (r) => ({ body: one('sreport', r.report && sreportToElement(r.report)) }),
};

/**
 * Terminal side: a typed result → its response packet (the inverse of parseResponse).
 * `ok` and derived fields are ignored; `status` and `errors` are written as given.
 */
export function responseToPacket<C extends CommandName>(command: C, result: ResponseToWrite<C>): Packet {
  if (!isCommandName(command)) throw new JpayValidationError('command', 'is not a JPAY command');
  const { body, attrs } = (WRITERS[command] as BodyWriter<C> | undefined)?.(result) ?? { body: {} };
  return buildResponse(command, result.status, body, result.errors ?? [], attrs ?? {});
}
