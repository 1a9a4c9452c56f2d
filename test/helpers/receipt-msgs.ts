/** Transaction results carrying an approved receipt, as jpay-publish receives them (the node tests). */
import type { NodeMessage } from 'node-red';
import type { Receipt } from '../../lib/protocol/types';

/** Receipt number `seq` of terminal 10000001, approved for 100 × seq minor units. */
export const sampleReceipt = (seq: number): Receipt => ({
  header: ['SHOP'],
  footer: [],
  approved: true,
  tid: '10000001',
  seq: String(seq).padStart(6, '0'),
  datetime: '2024-05-01T10:00:00',
  amountAuthorized: 100 * seq,
  pan: '************0002',
});

/** Its stable receipt id. */
export const sampleReceiptId = (seq: number): string => `10000001-${String(seq).padStart(6, '0')}-20240501T100000`;

/** The first output of jpay-transaction with that receipt (and `extra` payload fields). */
export const resultMsgWith = (seq: number, extra: Record<string, unknown> = {}): NodeMessage =>
  ({ topic: `order-${seq}`, payload: { outcome: 'approved', status: 'ok', ok: true, approved: true, receipt: sampleReceipt(seq), request: { type: 'purchase', amount: 100 * seq }, ...extra } }) as NodeMessage;
