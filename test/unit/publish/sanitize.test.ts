import assert from 'node:assert/strict';
import { maskPansInText, maskPanValue, sanitizeValue } from '../../../lib/publish/sanitize';
import { Secret } from '../../../lib/protocol/secret';

describe('publish: sanitize', () => {
  it('masks a full PAN to first 6 / last 4, keeping its layout', () => {
    assert.equal(maskPanValue('4000000000000002'), '400000******0002');
    assert.equal(maskPanValue('4000 0000 0000 0002'), '4000 00** **** 0002');
  });

  it('keeps a PAN the terminal already masked', () => {
    assert.equal(maskPanValue('************1234'), '************1234');
    assert.equal(maskPanValue('400000******0002'), '400000******0002');
    assert.equal(maskPanValue('1234'), '1234');
  });

  it('masks Luhn-valid card numbers in free text, not other numbers', () => {
    assert.equal(maskPansInText('CARD 4000000000000002 OK'), 'CARD 400000******0002 OK');
    assert.equal(maskPansInText('card 5555-5555-5555-4444'), 'card 5555-55**-****-4444');
    // An amount before the grouped PAN does not hide it.
    assert.equal(maskPansInText('100 4000 0000 0000 0002'), '100 4000 00** **** 0002');
    // RRN (12 digits), a non-Luhn 16-digit number and a date-time stay as they are.
    assert.equal(maskPansInText('RRN 120157645346'), 'RRN 120157645346');
    assert.equal(maskPansInText('ref 1234567890123456'), 'ref 1234567890123456');
    assert.equal(maskPansInText('28.03.2018 12:01:33'), '28.03.2018 12:01:33');
  });

  it('drops secret keys and Secret values at any depth, masks pan keys', () => {
    const clean = sanitizeValue({
      order: 'A-17',
      'plain-text-pan': '4000000000000002',
      plainTextPan: new Secret('4000000000000002'),
      nested: { password: '12345678', token: 'ABCDEF0123456789ABCDEF0123456789', pan: '4000000000000002', n: 5 },
      list: [{ pin: '1234' }, new Secret('x'), 'note 4000000000000002'],
      when: new Date('2024-01-02T03:04:05Z'),
      bad: Number.NaN,
      fn: () => 1,
      bin: Buffer.from('abc'),
    });
    assert.deepEqual(clean, {
      order: 'A-17',
      nested: { pan: '400000******0002', n: 5 },
      list: [{}, 'note 400000******0002'],
      when: '2024-01-02T03:04:05.000Z',
    });
    assert.ok(!JSON.stringify(clean).includes('4000000000000002'));
  });
});
