/**
 * `xreport` (report, §8.11) and `sreport` (settlement §8.12, clear §8.13), both directions.
 *
 * Missing fields are tolerated (a brief report has no transactions; counts and sums that
 * are absent read as 0). In an xreport a malformed count or sum throws
 * JpayProtocolError('bad-packet'): a report is a read-only query that can be run again,
 * and a wrong total is worse than none. An sreport is parsed tolerantly (a malformed value
 * reads as absent) because the settlement already happened and its outcome must reach
 * the caller. Unparseable date-times read as absent in both.
 */
import { childElement, childList, XmlElement, XmlNode } from '../codec/packet';
import { JpayValidationError } from '../errors';
import { isoToWireDateTime, lines, linesElement, put, setIf, strictConvert, text, tryConvert } from './fields';
import { CardTypeTotals, OperationTotals, ReportTransaction, SReport, TotalsPair, XReport } from './types';
import {
  amountFromWire,
  amountToWire,
  countFromWire,
  dateTimeFromWire,
  signedAmountFromWire,
  signedAmountToWire,
} from './values';

/** Operation names on the wire and their OperationTotals keys, in the document's order. */
const OPERATIONS = [
  ['purchase', 'purchase'],
  ['refund', 'refund'],
  ['purchase-with-cashback', 'purchaseWithCashback'],
  ['purchase-reversal', 'purchaseReversal'],
  ['refund-reversal', 'refundReversal'],
] as const;

/** A sum that may be sent plain (12 digits) or signed (D/C + 12 digits). */
function anySum(s: string, field: string): number {
  return /^\s*[DC]/.test(s) ? signedAmountFromWire(s, field) : amountFromWire(s, field);
}

function dateTime(raw: string | undefined, field: string): string | undefined {
  return tryConvert(raw, (s) => dateTimeFromWire(s, field));
}

function dateTimeToWire(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (/^(\d{10}|\d{12})$/.test(value)) return value;
  try {
    return isoToWireDateTime(value, field);
  } catch (error) {
    throw new JpayValidationError(field, (error as Error).message);
  }
}

function wire<T>(value: T | undefined, convert: (v: T) => string, field: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return convert(value);
  } catch (error) {
    throw new JpayValidationError(field, (error as Error).message);
  }
}

function strictNumber(el: XmlElement, name: string, convert: (s: string, field: string) => number): number {
  const raw = text(el, name);
  if (raw === undefined || raw === '') return 0;
  return strictConvert(raw, (s) => convert(s, name), 'xreport');
}

function strictOptional(el: XmlElement, name: string, convert: (s: string, field: string) => number): number | undefined {
  const raw = text(el, name);
  return raw === undefined || raw === '' ? undefined : strictConvert(raw, (s) => convert(s, name), 'xreport');
}

// ---- xreport ----

function parseTotals(el: XmlElement, infix: string, totalPrefix: string): OperationTotals {
  const pair = (op: string): TotalsPair => ({
    count: strictNumber(el, `${op}${infix}-count`, countFromWire),
    sum: strictNumber(el, `${op}${infix}-sum`, anySum),
  });
  const totals = {} as OperationTotals;
  for (const [op, key] of OPERATIONS) totals[key] = pair(op);
  totals.totalCount = strictNumber(el, `${totalPrefix}-count`, countFromWire);
  totals.totalSum = strictNumber(el, `${totalPrefix}-sum`, anySum);
  return totals;
}

function parseReportTransaction(t: XmlElement): ReportTransaction {
  const r: ReportTransaction = {};
  const s = (key: Exclude<keyof ReportTransaction, 'amount' | 'amountOther'>, name: string): void =>
    setIf(r, key, text(t, name));
  s('status', 'status');
  s('state', 'state');
  s('type', 'type');
  s('seq', 'seq');
  setIf(r, 'amount', strictOptional(t, 'aa', amountFromWire));
  setIf(r, 'amountOther', strictOptional(t, 'ao', amountFromWire));
  s('rrn', 'rrn');
  setIf(r, 'time', dateTime(text(t, 'time'), 'time'));
  s('authCode', 'apn');
  s('respCode', 'arc');
  s('currency', 'cur');
  s('pan', 'pan');
  s('aed', 'aed');
  s('aid', 'aid');
  s('tvr', 'tvr');
  s('tsi', 'tsi');
  return r;
}

const asElement = (node: XmlNode): XmlElement => (typeof node === 'object' ? node : {});

export function parseXReport(el: XmlElement): XReport {
  const h = childElement(el, 'header') ?? {};
  const header: XReport['header'] = { title: lines(h, 'title') };
  setIf(header, 'mid', text(h, 'mid'));
  setIf(header, 'tid', text(h, 'tid'));
  setIf(header, 'currency', text(h, 'cur'));
  setIf(header, 'time', dateTime(text(h, 'time'), 'time'));
  const transactions = childList(childElement(el, 'transactions'), 't').map((t) => parseReportTransaction(asElement(t)));
  const totals = childList(childElement(el, 'totals'), 'card-type').map((node): CardTypeTotals => {
    const c = asElement(node);
    return { rid: text(c, 'rid') ?? '', name: text(c, 'name') ?? '', ...parseTotals(c, '', 'total-card') };
  });
  const report: XReport = { header, transactions, totals };
  const grand = childElement(el, 'grand-totals');
  if (grand !== undefined) report.grandTotals = parseTotals(grand, '-total', 'total');
  return report;
}

function totalsToElement(t: OperationTotals, infix: string, totalPrefix: string, el: XmlElement): XmlElement {
  for (const [op, key] of OPERATIONS) {
    el[`${op}${infix}-count`] = String(t[key].count);
    el[`${op}${infix}-sum`] = wire(t[key].sum, (v) => amountToWire(v, `${op}${infix}-sum`), `${op}${infix}-sum`) ?? '';
  }
  el[`${totalPrefix}-sum`] = wire(t.totalSum, (v) => signedAmountToWire(v, `${totalPrefix}-sum`), `${totalPrefix}-sum`) ?? '';
  el[`${totalPrefix}-count`] = String(t.totalCount);
  return el;
}

function reportTransactionToElement(r: ReportTransaction): XmlElement {
  const t: XmlElement = {};
  put(t, 'status', r.status);
  put(t, 'state', r.state);
  put(t, 'type', r.type);
  put(t, 'seq', r.seq);
  put(t, 'aa', wire(r.amount, (v) => amountToWire(v, 'aa'), 'aa'));
  put(t, 'ao', wire(r.amountOther, (v) => amountToWire(v, 'ao'), 'ao'));
  put(t, 'rrn', r.rrn);
  put(t, 'time', dateTimeToWire(r.time, 'time'));
  put(t, 'apn', r.authCode);
  put(t, 'arc', r.respCode);
  put(t, 'cur', r.currency);
  put(t, 'pan', r.pan);
  put(t, 'aed', r.aed);
  put(t, 'aid', r.aid);
  put(t, 'tvr', r.tvr);
  put(t, 'tsi', r.tsi);
  return t;
}

/** XReport → `<xreport>` children. `transactions` is written only when there are some (a full report). */
export function xreportToElement(r: XReport): XmlElement {
  const header: XmlElement = {};
  put(header, 'mid', r.header.mid);
  put(header, 'tid', r.header.tid);
  header.title = linesElement(r.header.title);
  put(header, 'cur', r.header.currency);
  put(header, 'time', dateTimeToWire(r.header.time, 'time'));
  const el: XmlElement = { header };
  if (r.transactions.length > 0) el.transactions = { t: r.transactions.map(reportTransactionToElement) };
  el.totals =
    r.totals.length === 0
      ? ''
      : { 'card-type': r.totals.map((c) => totalsToElement(c, '', 'total-card', { rid: c.rid, name: c.name })) };
  if (r.grandTotals) el['grand-totals'] = totalsToElement(r.grandTotals, '-total', 'total', {});
  return el;
}

// ---- sreport ----

const SREPORT_TEXT = [
  ['resp-code', 'respCode'],
  ['approval-number', 'approvalNumber'],
  ['rrn', 'rrn'],
] as const;

/**
 * `<sreport>` → SReport. `passed` is settlement-result = passed; when settlement-result
 * is absent (the clear response) it is true — parseResponse refines that with the status.
 */
export function parseSReport(el: XmlElement): SReport {
  const r: SReport = { passed: true };
  const set = <K extends keyof SReport>(key: K, value: SReport[K] | undefined): void => setIf(r, key, value);
  for (const [name, key] of SREPORT_TEXT) set(key, text(el, name));
  const signed = (name: string): number | undefined => tryConvert(text(el, name), (s) => anySum(s, name));
  set('terminalTotal', signed('orig-amount'));
  set('hostTotal', signed('amount'));
  set('datetime', dateTime(text(el, 'datetime'), 'datetime'));
  set('tid', text(el, 'tid'));
  set('mid', text(el, 'mid'));
  set('currency', text(el, 'cur'));
  set('from', dateTime(text(el, 'from'), 'from'));
  set('to', dateTime(text(el, 'to'), 'to'));
  set('transactionCount', tryConvert(text(el, 'tnum'), (s) => countFromWire(s, 'tnum')));
  set('batchUpload', text(el, 'batch-upload'));
  set('artRespCode', text(el, 'art-resp-code'));
  set('covRespCode', text(el, 'cov-resp-code'));
  set('covRrn', text(el, 'cov-rrn'));
  set('settlementResult', text(el, 'settlement-result'));
  if (r.settlementResult !== undefined) r.passed = r.settlementResult.toLowerCase() === 'passed';
  return r;
}

/** SReport → `<sreport>` children in the document's order (`passed` is derived, not written). */
export function sreportToElement(r: SReport): XmlElement {
  const el: XmlElement = {};
  put(el, 'resp-code', r.respCode);
  put(el, 'approval-number', r.approvalNumber);
  put(el, 'rrn', r.rrn);
  put(el, 'orig-amount', wire(r.terminalTotal, (v) => signedAmountToWire(v, 'orig-amount'), 'orig-amount'));
  put(el, 'amount', wire(r.hostTotal, (v) => signedAmountToWire(v, 'amount'), 'amount'));
  put(el, 'datetime', dateTimeToWire(r.datetime, 'datetime'));
  put(el, 'tid', r.tid);
  put(el, 'mid', r.mid);
  put(el, 'cur', r.currency);
  put(el, 'from', dateTimeToWire(r.from, 'from'));
  put(el, 'to', dateTimeToWire(r.to, 'to'));
  put(el, 'tnum', r.transactionCount === undefined ? undefined : String(r.transactionCount));
  put(el, 'batch-upload', r.batchUpload);
  put(el, 'art-resp-code', r.artRespCode);
  put(el, 'cov-resp-code', r.covRespCode);
  put(el, 'cov-rrn', r.covRrn);
  put(el, 'settlement-result', r.settlementResult);
  return el;
}
