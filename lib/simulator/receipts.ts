/** Log record → the `receipt` of a transaction response (§8.9, §8.10). */
import type { ReceiptToWrite } from '../protocol/types';
import type { LogRecord, Operation, ReceiptType } from './log';
import type { Terminal } from './terminal';

export const RECEIPT_TYPE: Readonly<Record<Operation, ReceiptType>> = {
  purchase: 'purchase',
  'purchase-with-cashback': 'purchase',
  refund: 'refund',
  'purchase-reversal': 'purchasereversal',
  'refund-reversal': 'refundreversal',
};

export function seqText(seq: number): string {
  return String(seq).padStart(6, '0');
}

export function recordToReceipt(t: Terminal, r: LogRecord): ReceiptToWrite {
  const cfg = t.config.terminal;
  const base: ReceiptToWrite = {
    header: cfg.header,
    footer: cfg.footer,
    tid: r.tid,
    mid: r.mid,
    seq: seqText(r.seq),
    type: RECEIPT_TYPE[r.operation],
    amountAuthorized: r.amount,
    currency: r.currency,
    rrn: r.rrn,
    respCode: r.respCode,
    authNumber: r.authNumber,
    datetime: r.datetime,
  };
  if (r.kind === 'sbp') {
    base.paymentStatus = r.tstatus;
    base.tstatus = r.tstatus;
    base.iface = 'sbp';
    if (r.sbp?.cft) {
      base.cft = r.sbp.cft;
      base.errorCode = 'ok';
    }
    return base;
  }
  base.state = 'active';
  base.tstatus = r.tstatus;
  if (r.amountOther !== undefined) base.amountOther = r.amountOther;
  const c = r.card;
  if (c) {
    base.aid = c.aid;
    base.appname = c.appname;
    if (c.apname) base.apname = c.apname;
    if (c.alabel) base.alabel = c.alabel;
    if (c.ictId) base.ictId = c.ictId;
    base.pinEntered = c.cvm === 'online' ? 'online' : c.cvm === 'offline' ? 'offline' : 'no';
    base.cdcvm = c.cvm === 'cdcvm';
    base.signature = c.cvm === 'signature';
    base.pan = c.pan;
    base.aed = c.aed;
  }
  if (r.respCodeDescription) base.respCodeDescription = r.respCodeDescription;
  base.tsi = r.tsi;
  base.tvr = r.tvr;
  base.declineReason = r.declineReason ?? '';
  base.acquirerTag = cfg.acquirerTag;
  base.bankName = cfg.bankName;
  if (r.dexRecord) base.record = r.dexRecord;
  return base;
}
