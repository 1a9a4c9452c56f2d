import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import { buildRequest } from '../../../lib/protocol/requests';
import { REQUEST_SCHEMAS } from '../../../lib/protocol/schemas';
import { validateRequest } from '../../../lib/protocol/validation';
import { COMMAND_NAMES } from '../../../lib/protocol/types';

const TOKEN = 'DE9773A8CB888560AB0F89C07623FE03';
const PASSWORD = '12345678';
const PAN = '4000000010000001';

/** Runs validateRequest and returns the JpayValidationError it must throw. */
function refused(command: string, params: unknown): JpayValidationError {
  try {
    validateRequest(command as never, params);
  } catch (error) {
    assert.ok(error instanceof JpayValidationError, `expected JpayValidationError, got ${String(error)}`);
    return error;
  }
  assert.fail(`${command} ${JSON.stringify(params)} was accepted`);
}

function assertRefused(command: string, params: unknown, field: string, rule?: RegExp): void {
  const error = refused(command, params);
  assert.equal(error.field, field, `${JSON.stringify(params)}: ${error.message}`);
  if (rule) assert.match(error.rule, rule);
  assert.equal(error.message, `${field}: ${error.rule}`);
}

const purchase = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'purchase',
  amount: 100,
  ...extra,
});
const manual = (m: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  purchase({ manual: { pan: PAN, expiry: '2612', ...m }, password: PASSWORD, ...extra });

describe('protocol commands: request validation', () => {
  it('has a schema for every command', () => {
    assert.deepEqual(Object.keys(REQUEST_SCHEMAS).sort(), [...COMMAND_NAMES].sort());
  });

  it('amounts: integers 1..999999999999 only (no zero, floats, negatives, strings)', () => {
    for (const bad of [0, 1.5, -1, '100', 1e12, Number.NaN, Infinity, null]) {
      assertRefused('transaction', purchase({ amount: bad }), 'amount', /integer number of minor units/);
    }
    for (const bad of [0, 0.5, -3, '1']) {
      assertRefused('transaction', { type: 'purchase-with-cashback', amount: 1, amountOther: bad }, 'amountOther');
    }
    for (const bad of [0, 1.5]) assertRefused('transaction', { type: 'void', number: 1, amount: bad }, 'amount');
    validateRequest('transaction', purchase({ amount: 1 }));
    validateRequest('transaction', purchase({ amount: 999999999999 }));
  });

  it('currency: 3 digits', () => {
    for (const bad of ['64', 'RUB', '6430', 643]) assertRefused('transaction', purchase({ currency: bad }), 'currency');
    validateRequest('transaction', purchase({ currency: '643' }));
  });

  it('rrn: exactly 12 characters on a card refund, 1..12 on an SBP refund', () => {
    const refund = (rrn: unknown, sbp?: boolean): Record<string, unknown> =>
      sbp === undefined ? { type: 'refund', amount: 1, rrn } : { type: 'refund', amount: 1, rrn, sbp };
    validateRequest('transaction', refund('120157645346'));
    assertRefused('transaction', refund('232796'), 'rrn', /exactly 12/);
    assertRefused('transaction', refund('1201576453461'), 'rrn');
    validateRequest('transaction', refund('232796', true));
    assertRefused('transaction', refund('', true), 'rrn');
    assertRefused('transaction', refund('1234567890123', true), 'rrn');
    assertRefused('transaction', refund('12345678901<', true), 'rrn');
    assertRefused('transaction', refund('1234 5678901', true), 'rrn');
    assertRefused('transaction', purchase({ rrn: '120157645346' }), 'rrn', /only allowed on a refund/);
  });

  it('number: integer 0..999999 or last, only on a void, required there', () => {
    validateRequest('transaction', { type: 'void', number: 'last' });
    validateRequest('transaction', { type: 'void', number: 999999, amount: 5 });
    for (const bad of [1000000, -1, 1.5, '8', 'first']) {
      assertRefused('transaction', { type: 'void', number: bad }, 'number', /receipt number/);
    }
    assertRefused('transaction', { type: 'void' }, 'number', /required for a void/);
    assertRefused('transaction', purchase({ number: 8 }), 'number', /only allowed on a void/);
  });

  it('type-specific rules: amount, amountOther, forced', () => {
    assertRefused('transaction', { type: 'purchase' }, 'amount', /required/);
    assertRefused('transaction', { type: 'refund' }, 'amount', /required/);
    assertRefused('transaction', { type: 'purchase-with-cashback', amount: 1 }, 'amountOther', /required/);
    assertRefused('transaction', purchase({ amountOther: 1 }), 'amountOther', /only allowed on a purchase-with-cashback/);
    assertRefused('transaction', purchase({ forced: true }), 'forced', /only be true on a refund/);
    assertRefused('transaction', { amount: 1 }, 'type', /required/);
    assertRefused('transaction', { type: 'payment', amount: 1 }, 'type', /must be one of/);
    validateRequest('transaction', { type: 'refund', amount: 1, forced: true });
    validateRequest('transaction', { type: 'void', number: 'last' });
  });

  it('sbp: boolean; true only on purchase or refund, not with manual entry', () => {
    assertRefused('transaction', purchase({ sbp: 'true' }), 'sbp');
    assertRefused('transaction', { type: 'void', number: 'last', sbp: true }, 'type', /sbp/);
    assertRefused('transaction', manual({}, { sbp: true }), 'manual', /sbp/);
    validateRequest('transaction', { type: 'void', number: 'last', sbp: false });
  });

  it('manual entry: pan 12..19 digits (no Luhn), expiry YYMM, cardholder, password required', () => {
    validateRequest('transaction', manual({ pan: '4000000010000002' })); // fails Luhn: test cards allowed
    validateRequest('transaction', manual({ pan: '123456789012', cardholder: 'JOHN SMITH' }));
    for (const bad of ['12345678901', '12345678901234567890', '4000 0000 1000 0001', '400000001000000a']) {
      assertRefused('transaction', manual({ pan: bad }), 'manual.pan', /12 to 19 digits/);
    }
    for (const bad of ['2600', '2613', '261', '12-26', '1813', '1800', '180', '18055', 1805]) {
      assertRefused('transaction', manual({ expiry: bad }), 'manual.expiry', /YYMM/);
    }
    for (const good of ['1805', '2912']) validateRequest('transaction', manual({ expiry: good }));
    assertRefused('transaction', manual({ cardholder: 'A'.repeat(27) }), 'manual.cardholder', /26/);
    assertRefused('transaction', manual({ cardholder: 'ИВАН' }), 'manual.cardholder', /printable/);
    assertRefused('transaction', purchase({ manual: { pan: PAN } , password: PASSWORD }), 'manual.expiry', /required/);
    assertRefused('transaction', purchase({ manual: { pan: PAN, expiry: '2612' } }), 'password', /manual card entry/);
    assertRefused('transaction', purchase({ password: PASSWORD }), 'password', /only sent with manual/);
    assertRefused('transaction', manual({}, { password: '1234' }), 'password', /8 digits/);
  });

  it('password, newPassword and token formats', () => {
    for (const bad of ['1234567', '123456789', 'abcdefgh', 12345678]) {
      assertRefused('login', { password: bad }, 'password', /8 digits/);
      assertRefused('settlement', { password: bad }, 'password');
    }
    assertRefused('changepassword', { token: TOKEN, password: PASSWORD, newPassword: '1' }, 'newPassword', /8 digits/);
    assertRefused('changepassword', { token: TOKEN, password: PASSWORD }, 'newPassword', /required/);
    // Whatever login returned (§6 says 32 hex, §8.1's example is 18 digits), within what is safe to echo.
    for (const good of [TOKEN, TOKEN.toLowerCase(), '392480923040932923', 'G'.repeat(32), 'abc-DEF_123.456+/=', '12345678', 'x'.repeat(128)]) {
      validateRequest('logout', { token: good });
    }
    for (const bad of ['', '1234567', 'x'.repeat(129), 'abc def12345', 'abc<def12345', 'abc>def12345', 'abc&def12345', 'abc"def12345', "abc'def12345", 'abc\ndef12345', 'токен-12345678', 12345678]) {
      assertRefused('logout', { token: bad }, 'token', /token login returned/);
    }
    assertRefused('getparameters', {}, 'token', /required/);
  });

  it('report type, login handshake, sethostkey name and material', () => {
    assertRefused('report', { password: PASSWORD, reportType: 'monthly' }, 'reportType', /brief or full/);
    assertRefused('report', { password: PASSWORD }, 'reportType', /required/);
    assertRefused('login', { password: PASSWORD, clientHandshake: 'not base64!' }, 'clientHandshake', /Base64/);
    const key = { token: TOKEN, name: 'hkey1', material: 'QWJjOGRFZmc=' };
    validateRequest('sethostkey', key);
    assertRefused('sethostkey', { ...key, name: '' }, 'name');
    assertRefused('sethostkey', { ...key, name: 'n'.repeat(65) }, 'name', /64/);
    assertRefused('sethostkey', { ...key, material: 'QWJjOGRFZmc' }, 'material', /Base64/);
    assertRefused('sethostkey', { ...key, material: '' }, 'material', /Base64/);
  });

  it('refuses unknown parameters, non-objects and unknown commands', () => {
    assertRefused('logout', { token: TOKEN, foo: 1 }, 'foo', /not a known parameter/);
    assertRefused('resetpassword', { password: PASSWORD }, 'password');
    assertRefused('logout', null, 'params', /object/);
    assertRefused('logout', 'x', 'params', /object/);
    assertRefused('reset', {}, 'command', /not a JPAY command/);
  });

  it('never puts a password, token or PAN into the error', () => {
    const secrets: [string, Record<string, unknown>, string][] = [
      ['transaction', manual({ pan: '40000000100000011234' }), '40000000100000011234'],
      ['transaction', manual({ pan: '4000000010000001' }, { password: '1234567' }), '4000000010000001'],
      ['transaction', manual({ pan: '4000000010000001' }, { password: '1234567' }), '1234567'],
      ['login', { password: '123456789' }, '123456789'],
      ['logout', { token: `${TOKEN}<AB` }, TOKEN],
      ['changepassword', { token: TOKEN, password: PASSWORD, newPassword: '99999' }, PASSWORD],
    ];
    for (const [command, params, secret] of secrets) {
      const error = refused(command, params);
      assert.ok(!error.message.includes(secret), error.message);
      assert.ok(!error.rule.includes(secret), error.rule);
      assert.ok(!JSON.stringify(error).includes(secret));
    }
  });

  it('treats undefined-valued properties as absent', () => {
    validateRequest('transaction', { type: 'purchase', amount: 1, currency: undefined, manual: undefined, sbp: undefined });
    const p = buildRequest('transaction', { type: 'purchase', amount: 1, currency: undefined, rrn: undefined });
    assert.deepEqual(p.body, { type: 'purchase', amount: '000000000001' });
  });

  it('buildRequest validates before building', () => {
    assert.throws(() => buildRequest('transaction', { type: 'purchase', amount: 1.5 }), (e: unknown) => {
      return e instanceof JpayValidationError && e.field === 'amount';
    });
    assert.throws(() => buildRequest('report', { password: PASSWORD, reportType: 'x' as 'full' }), JpayValidationError);
  });
});
