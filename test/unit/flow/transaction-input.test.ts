import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import { buildTransactionRequest, parseTransactionDefaults } from '../../../nodes/jpay-transaction/transaction-input';

function refuses(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => e instanceof JpayValidationError && e.field === field);
}

describe('flow/transaction-input', () => {
  const defaults = parseTransactionDefaults({ txType: 'purchase', amount: '15000', currency: '643', sbp: 'auto' });

  it('parses the editor defaults', () => {
    assert.deepEqual(defaults, { type: 'purchase', amount: 15000, currency: '643' });
    assert.deepEqual(parseTransactionDefaults({ txType: 'void', number: 'last', sbp: 'only' }), { type: 'void', number: 'last', sbp: true });
    assert.deepEqual(parseTransactionDefaults({ sbp: 'off' }), { type: 'purchase', sbp: false });
    refuses(() => parseTransactionDefaults({ amount: '12.50' }), 'amount');
    refuses(() => parseTransactionDefaults({ txType: 'payment' }), 'type');
    refuses(() => parseTransactionDefaults({ currency: 'RUB' }), 'currency');
  });

  it('uses the defaults when the payload is not an object (an inject timestamp)', () => {
    assert.deepEqual(buildTransactionRequest(1712345678901, defaults), { type: 'purchase', amount: 15000, currency: '643' });
    assert.deepEqual(buildTransactionRequest(undefined, defaults), { type: 'purchase', amount: 15000, currency: '643' });
  });

  it('lets msg fields override the defaults', () => {
    assert.deepEqual(buildTransactionRequest({ amount: 500, sbp: true }, defaults), {
      type: 'purchase',
      amount: 500,
      currency: '643',
      sbp: true,
    });
  });

  it('applies no default when the msg asks for another type', () => {
    assert.deepEqual(buildTransactionRequest({ type: 'void', number: 'last' }, defaults), { type: 'void', number: 'last' });
    assert.deepEqual(buildTransactionRequest({ type: 'void', number: '000009' }, defaults), { type: 'void', number: 9 });
  });

  it('builds each transaction type', () => {
    assert.deepEqual(buildTransactionRequest({ type: 'refund', amount: 100, rrn: '123456789012', forced: true }, {}), {
      type: 'refund',
      amount: 100,
      rrn: '123456789012',
      forced: true,
    });
    assert.deepEqual(buildTransactionRequest({ type: 'purchase-with-cashback', amount: 1000, amountOther: 500 }, {}), {
      type: 'purchase-with-cashback',
      amount: 1000,
      amountOther: 500,
    });
    assert.deepEqual(buildTransactionRequest({ type: 'void', number: 12, amount: 50 }, {}), { type: 'void', number: 12, amount: 50 });
  });

  it('refuses floats, strings and negatives, naming the field', () => {
    refuses(() => buildTransactionRequest({ amount: 12.5 }, defaults), 'msg.payload.amount');
    refuses(() => buildTransactionRequest({ amount: '100' }, defaults), 'msg.payload.amount');
    refuses(() => buildTransactionRequest({ amount: -1 }, defaults), 'msg.payload.amount');
    refuses(() => buildTransactionRequest({ amount: 0 }, defaults), 'msg.payload.amount');
    refuses(() => buildTransactionRequest({ amount: 1e13 }, defaults), 'msg.payload.amount');
    refuses(() => buildTransactionRequest({ type: 'purchase-with-cashback', amount: 100, amountOther: 1.5 }, {}), 'msg.payload.amountOther');
    assert.throws(() => buildTransactionRequest({ amount: 12.5 }, defaults), /msg\.payload\.amount: must be an integer/);
  });

  it('refuses what does not fit the type', () => {
    refuses(() => buildTransactionRequest({}, {}), 'msg.payload.type');
    refuses(() => buildTransactionRequest({ type: 'sale', amount: 1 }, {}), 'msg.payload.type');
    refuses(() => buildTransactionRequest({ type: 'purchase' }, {}), 'msg.payload.amount');
    refuses(() => buildTransactionRequest({ type: 'void' }, {}), 'msg.payload.number');
    refuses(() => buildTransactionRequest({ type: 'void', number: 1234567 }, {}), 'msg.payload.number');
    refuses(() => buildTransactionRequest({ type: 'purchase', amount: 1, number: 3 }, {}), 'msg.payload.number');
    refuses(() => buildTransactionRequest({ type: 'purchase', amount: 1, amountOther: 3 }, {}), 'msg.payload.amountOther');
    refuses(() => buildTransactionRequest({ type: 'purchase-with-cashback', amount: 1 }, {}), 'msg.payload.amountOther');
    refuses(() => buildTransactionRequest({ type: 'purchase', amount: 1, rrn: '1' }, {}), 'msg.payload.rrn');
    refuses(() => buildTransactionRequest({ type: 'purchase', amount: 1, forced: true }, {}), 'msg.payload.forced');
    refuses(() => buildTransactionRequest({ type: 'purchase', amount: 1, sbp: 'yes' }, {}), 'msg.payload.sbp');
    refuses(() => buildTransactionRequest({ type: 'purchase', amount: 1, currency: 'RUB' }, {}), 'msg.payload.currency');
  });

  it('refuses unknown fields and manual card data', () => {
    refuses(() => buildTransactionRequest({ ammount: 100 }, defaults), 'msg.payload.ammount');
    assert.throws(() => buildTransactionRequest({ pan: '4000000000000002' }, defaults), (e: unknown) => {
      assert.ok(e instanceof JpayValidationError);
      assert.equal(e.field, 'msg.payload.pan');
      assert.ok(!e.message.includes('4000000000000002'));
      return true;
    });
  });

  it('accepts a numeric currency and pads it', () => {
    assert.equal(buildTransactionRequest({ amount: 1, currency: 978 }, defaults).currency, '978');
    assert.equal(buildTransactionRequest({ amount: 1, currency: 36 }, defaults).currency, '036');
  });
});
