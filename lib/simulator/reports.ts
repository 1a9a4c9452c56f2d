/** X-report (§8.11) and the totals settlement uses, computed from the log. */
import { definedOnly } from '../objects';
import type { CardTypeTotals, OperationTotals, ReportTransaction, XReport } from '../protocol/types';
import { isoLocal } from './ids';
import type { LogRecord, Operation } from './log';
import { RECEIPT_TYPE, seqText } from './receipts';
import type { Terminal } from './terminal';

type TotalsKey = keyof Omit<OperationTotals, 'totalCount' | 'totalSum'>;

/** Each operation's totals line and its sign: money into the merchant's account is plus (D), purchases and refund reversals. */
const TOTALS: Readonly<Record<Operation, [TotalsKey, 1 | -1]>> = {
  purchase: ['purchase', 1],
  refund: ['refund', -1],
  'purchase-with-cashback': ['purchaseWithCashback', 1],
  'purchase-reversal': ['purchaseReversal', -1],
  'refund-reversal': ['refundReversal', 1],
};

function emptyTotals(): OperationTotals {
  const lines = Object.values(TOTALS).map(([key]) => [key, { count: 0, sum: 0 }]);
  return { ...(Object.fromEntries(lines) as Record<TotalsKey, { count: number; sum: number }>), totalCount: 0, totalSum: 0 };
}

function add(totals: OperationTotals, r: LogRecord): void {
  const [key, sign] = TOTALS[r.operation];
  totals[key].count += 1;
  totals[key].sum += r.amount;
  totals.totalCount += 1;
  totals.totalSum += sign * r.amount;
}

/** Only approved records count towards totals. */
export function approvedRecords(records: readonly LogRecord[]): LogRecord[] {
  return records.filter((r) => r.tstatus === 'approved');
}

export function grandTotals(records: readonly LogRecord[]): OperationTotals {
  const totals = emptyTotals();
  for (const r of approvedRecords(records)) add(totals, r);
  return totals;
}

/** Totals per card type (RID + scheme name); SBP payments are their own type (`SBP`). */
function cardTypeTotals(records: readonly LogRecord[]): CardTypeTotals[] {
  const groups = new Map<string, CardTypeTotals>();
  for (const r of approvedRecords(records)) {
    const rid = r.kind === 'sbp' ? 'SBP' : (r.card?.rid ?? '');
    const name = r.kind === 'sbp' ? 'SBP' : (r.card?.scheme ?? 'UNKNOWN');
    const key = `${rid}|${name}`;
    let group = groups.get(key);
    if (!group) {
      group = { rid, name, ...emptyTotals() };
      groups.set(key, group);
    }
    add(group, r);
  }
  return [...groups.values()];
}

function reportTransaction(r: LogRecord): ReportTransaction {
  return definedOnly<ReportTransaction>({
    status: r.tstatus,
    state: 'active',
    type: RECEIPT_TYPE[r.operation],
    seq: seqText(r.seq),
    amount: r.amount,
    amountOther: r.amountOther,
    rrn: r.rrn,
    time: r.datetime,
    authCode: r.authNumber,
    respCode: r.respCode,
    currency: r.currency,
    tvr: r.tvr,
    tsi: r.tsi,
    pan: r.card?.pan,
    aed: r.card?.aed,
    aid: r.card?.aid,
  });
}

export function buildXReport(t: Terminal, full: boolean): XReport {
  const records = t.log.list();
  const cfg = t.config.terminal;
  return {
    header: { mid: cfg.mid, tid: cfg.tid, title: cfg.header, currency: cfg.currency, time: isoLocal(t.now()) },
    transactions: full ? records.map(reportTransaction) : [],
    totals: cardTypeTotals(records),
    grandTotals: grandTotals(records),
  };
}
