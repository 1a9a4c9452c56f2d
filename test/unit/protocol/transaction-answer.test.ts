import assert from 'node:assert/strict';
import { packet } from '../../../lib/codec/packet';
import { parseResponse } from '../../../lib/protocol/responses';
import { answerContradiction, answerMismatch, receiptTypeFits, transactionAmounts } from '../../../lib/protocol/transaction-answer';
import type { TransactionType } from '../../../lib/protocol/types';

describe('protocol/transaction-answer', () => {
  it('receiptTypeFits: the four receipt types of §8.9, any case or hyphen, and the SBP example\'s payment', () => {
    const table: [TransactionType, string, boolean][] = [
      ['purchase', 'purchase', true],
      ['purchase', 'Payment', true],
      ['purchase', 'refund', false],
      ['purchase', 'purchasereversal', false],
      ['purchase-with-cashback', 'purchase', true],
      ['purchase-with-cashback', 'purchase-with-cashback', true],
      ['refund', 'refund', true],
      ['refund', 'refundreversal', false],
      ['void', 'purchasereversal', true],
      ['void', 'Refund-Reversal', true],
      ['void', 'void', false],
      ['void', 'purchase', false],
    ];
    for (const [request, receipt, fits] of table) assert.equal(receiptTypeFits(request, receipt), fits, `${receipt} for ${request}`);
  });

  it('the vendor examples are neither contradictory nor mismatched', () => {
    const card = packet('transaction', {
      status: 'ok',
      receipt: { seq: '000009', type: 'purchase', state: 'active', tstatus: 'approved', 'amount-authorized': '000000012300', currency: '643', 'decline-reason': '' },
      'error-stack': '',
    });
    const cft = packet('transaction', {
      status: 'ok',
      receipt: { seq: '53', type: 'purchase', status: 'approved', tstatus: 'approved', 'amount-authorized': '000000000110', currency: '643', 'resp-code': '', iface: 'sbp' },
    });
    const mifare = packet('transaction', { status: 'ok', receipt: { status: 'approved', datetime: '2210111200', amount: '1000', iface: 'mifare' } });
    for (const [p, request] of [
      [card, { type: 'purchase', amount: 12300 }],
      [cft, { type: 'purchase', amount: 110, sbp: true }],
      [mifare, { type: 'purchase', amount: 1000 }],
    ] as const) {
      const result = parseResponse('transaction', p);
      assert.equal(result.approved, true);
      assert.equal(answerContradiction(p, result), undefined);
      assert.equal(answerMismatch(request, result), undefined);
    }
  });

  it('transactionAmounts: requested, authorized, and a flag only when they differ', () => {
    const receipt = (amountAuthorized: number) => ({ header: [], footer: [], approved: true, amountAuthorized });
    assert.deepEqual(transactionAmounts({ type: 'purchase', amount: 100 }, receipt(100)), { requestedAmount: 100, authorizedAmount: 100 });
    assert.deepEqual(transactionAmounts({ type: 'purchase', amount: 100 }, receipt(1)), { requestedAmount: 100, authorizedAmount: 1, amountMismatch: true });
    assert.deepEqual(transactionAmounts({ type: 'void', number: 'last' }, receipt(5)), { authorizedAmount: 5 });
    assert.deepEqual(transactionAmounts({ type: 'purchase', amount: 100 }, undefined), { requestedAmount: 100 });
  });
});
