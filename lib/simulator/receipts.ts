/** Log record → the `receipt` of a transaction response (§8.9, §8.10). */
import { definedOnly } from '../objects';
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
    return { ...base, paymentStatus: r.tstatus, tstatus: r.tstatus, iface: 'sbp', ...(r.sbp?.cft ? { cft: r.sbp.cft, errorCode: 'ok' } : {}) };
  }
  const c = r.card;
  // Empty optional texts are left out rather than written empty; decline-reason is always written.
  return definedOnly<ReceiptToWrite>({
    ...base,
    state: 'active',
    tstatus: r.tstatus,
    amountOther: r.amountOther,
    ...(c && {
      aid: c.aid,
      appname: c.appname,
      apname: c.apname || undefined,
      alabel: c.alabel || undefined,
      ictId: c.ictId || undefined,
      pinEntered: c.cvm === 'online' ? 'online' : c.cvm === 'offline' ? 'offline' : 'no',
      cdcvm: c.cvm === 'cdcvm',
      signature: c.cvm === 'signature',
      pan: c.pan,
      aed: c.aed,
    }),
    respCodeDescription: r.respCodeDescription || undefined,
    tsi: r.tsi,
    tvr: r.tvr,
    declineReason: r.declineReason ?? '',
    acquirerTag: cfg.acquirerTag,
    bankName: cfg.bankName,
    record: r.dexRecord || undefined,
  });
}
