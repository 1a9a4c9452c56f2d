import assert from 'node:assert/strict';
import { transactionPayload } from '../../../lib/results/transaction';
import { Secret } from '../../../lib/protocol/secret';
import type { TransactionResult } from '../../../lib/protocol/types';

const PAN = '4111111111111111';

function result(over: Partial<TransactionResult> = {}): TransactionResult {
  return {
    status: 'ok',
    ok: true,
    errors: [],
    approved: true,
    receipt: { header: [], footer: [], approved: true, amountAuthorized: 1500, pan: '************1111' },
    plainTextPan: new Secret(PAN),
    ...over,
  };
}

describe('flow/transaction-output', () => {
  it('shapes a plain-data payload without the full PAN by default', () => {
    const p = transactionPayload(result(), { type: 'purchase', amount: 1500 }, { includePlainTextPan: false, language: 'en' });
    assert.equal(p.approved, true);
    assert.equal(p.statusText, 'Operation completed successfully');
    assert.equal(p.receipt?.amountAuthorized, 1500);
    assert.deepEqual(p.request, { type: 'purchase', amount: 1500 });
    assert.equal('plainTextPan' in p, false);
    assert.ok(!JSON.stringify(p).includes(PAN));
  });

  it('carries the requested and the authorized amount, and the mismatch flag only when set', () => {
    const changed = transactionPayload(result({ requestedAmount: 500_000, authorizedAmount: 1, amountMismatch: true }), { type: 'purchase', amount: 500_000 }, { includePlainTextPan: false, language: 'en' });
    assert.deepEqual([changed.requestedAmount, changed.authorizedAmount, changed.amountMismatch], [500_000, 1, true]);
    const same = transactionPayload(result({ requestedAmount: 1500, authorizedAmount: 1500 }), { type: 'purchase', amount: 1500 }, { includePlainTextPan: false, language: 'en' });
    assert.equal('amountMismatch' in same, false);
  });

  it('reveals the full PAN only on opt-in', () => {
    const p = transactionPayload(result(), { type: 'purchase', amount: 1500 }, { includePlainTextPan: true, language: 'en' });
    assert.equal(p.plainTextPan, PAN);
  });

  it('keeps a non-ok status as data, explained in the chosen language', () => {
    const p = transactionPayload(result({ status: 'cancelled', ok: false, approved: false, receipt: undefined, plainTextPan: undefined }), { type: 'purchase', amount: 1 }, {
      includePlainTextPan: true,
      language: 'ru',
    });
    assert.equal(p.status, 'cancelled');
    assert.equal(p.statusText, 'Операция отменена');
    assert.equal(p.receipt, undefined);
    assert.equal(p.plainTextPan, undefined);
    assert.equal(transactionPayload(result({ status: 'weird' }), { type: 'void', number: 'last' }, { includePlainTextPan: false, language: 'en' }).statusText, 'Unknown status');
  });
});
