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
import { childElement, childList, XmlElement } from '../codec/packet';
import { asElement, camelCase, type CamelCase, fromWire, lines, linesElement, fieldTable, readFields, strictConvert, text, toWire, writeFields } from './fields';
import { CardTypeTotals, OperationTotals, ReportTransaction, SReport, TotalsPair, XReport } from './types';

/** Operation names on the wire, in the document's order; their OperationTotals keys are the names in camelCase. */
export const OPERATIONS = ['purchase', 'refund', 'purchase-with-cashback', 'purchase-reversal', 'refund-reversal'] as const;
const OPERATION_KEYS = OPERATIONS.map((op) => [op, camelCase(op) as CamelCase<typeof op>] as const);

// `title` (lines) stands between tid and cur.
const HEADER_FIELDS = fieldTable<XReport['header']>('mid', 'tid', ['cur', 'currency', 'text'], ['time', 'time', 'datetime']);

/** A full report's `<t>` children (ReportTransaction is declared from these rows). */
export const TRANSACTION_ROWS = [
  ...['status', 'state', 'type', 'seq'],
  ['aa', 'amount', 'amount'],
  ['ao', 'amountOther', 'amount'],
  'rrn',
  ['time', 'time', 'datetime'],
  ['apn', 'authCode', 'text'],
  ['arc', 'respCode', 'text'],
  ['cur', 'currency', 'text'],
  ...['pan', 'aed', 'aid', 'tvr', 'tsi'],
] as const;
const TRANSACTION_FIELDS = fieldTable<ReportTransaction>(...TRANSACTION_ROWS);

/** A count or sum of the totals: absent reads as 0, malformed throws. */
function strictNumber(el: XmlElement, name: string, kind: 'count' | 'sum'): number {
  const raw = text(el, name);
  if (raw === undefined || raw === '') return 0;
  return strictConvert(raw, (s) => fromWire(s, kind, name) as number, 'xreport');
}

// ---- xreport ----

function parseTotals(el: XmlElement, infix: string, totalPrefix: string): OperationTotals {
  const pair = (op: string): TotalsPair => ({
    count: strictNumber(el, `${op}${infix}-count`, 'count'),
    sum: strictNumber(el, `${op}${infix}-sum`, 'sum'),
  });
  const totals = {} as OperationTotals;
  for (const [op, key] of OPERATION_KEYS) totals[key] = pair(op);
  totals.totalCount = strictNumber(el, `${totalPrefix}-count`, 'count');
  totals.totalSum = strictNumber(el, `${totalPrefix}-sum`, 'sum');
  return totals;
}

export function parseXReport(el: XmlElement): XReport {
  const h = childElement(el, 'header') ?? {};
  const header = readFields<XReport['header']>(h, HEADER_FIELDS, { title: lines(h, 'title') });
  const transactions = childList(childElement(el, 'transactions'), 't').map((t) => readFields<ReportTransaction>(asElement(t), TRANSACTION_FIELDS, {}, 'xreport'));
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
  for (const [op, key] of OPERATION_KEYS) {
    el[`${op}${infix}-count`] = String(t[key].count);
    el[`${op}${infix}-sum`] = toWire(t[key].sum, 'amount', `${op}${infix}-sum`);
  }
  el[`${totalPrefix}-sum`] = toWire(t.totalSum, 'sum', `${totalPrefix}-sum`);
  el[`${totalPrefix}-count`] = String(t.totalCount);
  return el;
}

/** XReport → `<xreport>` children. `transactions` is written only when there are some (a full report). */
export function xreportToElement(r: XReport): XmlElement {
  const header = writeFields(r.header, HEADER_FIELDS.slice(0, 2));
  header.title = linesElement(r.header.title);
  writeFields(r.header, HEADER_FIELDS.slice(2), header);
  const el: XmlElement = { header };
  if (r.transactions.length > 0) el.transactions = { t: r.transactions.map((t) => writeFields(t, TRANSACTION_FIELDS)) };
  el.totals =
    r.totals.length === 0
      ? ''
      : { 'card-type': r.totals.map((c) => totalsToElement(c, '', 'total-card', { rid: c.rid, name: c.name })) };
  if (r.grandTotals) el['grand-totals'] = totalsToElement(r.grandTotals, '-total', 'total', {});
  return el;
}

// ---- sreport ----

/** The `<sreport>` children (SReport is declared from these rows); sums are signed minor units. */
export const SREPORT_ROWS = [
  ...['resp-code', 'approval-number', 'rrn'],
  // orig-amount: the terminal's total; amount: the host's.
  ['orig-amount', 'terminalTotal', 'sum'],
  ['amount', 'hostTotal', 'sum'],
  ['datetime', 'datetime', 'datetime'],
  ...['tid', 'mid'],
  ['cur', 'currency', 'text'],
  ['from', 'from', 'datetime'],
  ['to', 'to', 'datetime'],
  // tnum: the number of transactions settled.
  ['tnum', 'transactionCount', 'count'],
  ...['batch-upload', 'art-resp-code', 'cov-resp-code', 'cov-rrn', 'settlement-result'],
] as const;
const SREPORT_FIELDS = fieldTable<SReport>(...SREPORT_ROWS);

/**
 * `<sreport>` → SReport. `passed` is settlement-result = passed; when settlement-result
 * is absent (the clear response) it is true — parseResponse refines that with the status.
 */
export function parseSReport(el: XmlElement): SReport {
  const r = readFields<SReport>(el, SREPORT_FIELDS, { passed: true });
  if (r.settlementResult !== undefined) r.passed = r.settlementResult.toLowerCase() === 'passed';
  return r;
}

/** SReport → `<sreport>` children in the document's order (`passed` is derived, not written). */
export function sreportToElement(r: SReport): XmlElement {
  return writeFields(r, SREPORT_FIELDS);
}
