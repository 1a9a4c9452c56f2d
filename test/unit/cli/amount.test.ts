import assert from 'node:assert/strict';
import { formatMinor, parseMajorAmount, parseMinorAmount } from '../../../lib/cli/jpay/amount';
import { UsageError } from '../../../lib/cli/jpay/usage-error';

describe('cli amount parsing', () => {
  const good: [string, number][] = [
    ['123.45', 12345],
    ['0.1', 10],
    ['0.01', 1],
    ['1', 100],
    ['1.5', 150],
    ['007.50', 750],
    ['9999999999.99', 999_999_999_999],
    // 0.29 * 100 is 28.999999999999996 in floating point: the text route must give 29.
    ['0.29', 29],
    ['1.13', 113],
    ['4.35', 435],
  ];
  for (const [text, minor] of good) {
    it(`parses ${text} as ${minor} minor units`, () => {
      assert.equal(parseMajorAmount(text, '--amount'), minor);
    });
  }

  const bad = ['1.234', '-1', '1e3', 'abc', '', ' 1', '1 ', '1.', '.5', '+1', '1,50', '0x10', 'Infinity', 'NaN', '1..2'];
  for (const text of bad) {
    it(`refuses ${JSON.stringify(text)} with a message naming the flag`, () => {
      assert.throws(
        () => parseMajorAmount(text, '--amount'),
        (e: unknown) => e instanceof UsageError && e.message.startsWith('--amount'),
      );
    });
  }

  it('leaves the range to the protocol: an option not given, zero and too much convert as they are', () => {
    assert.equal(parseMajorAmount(undefined, '--cashback'), undefined);
    assert.equal(parseMajorAmount('0.00', '--amount'), 0);
    assert.equal(parseMajorAmount('10000000000.00', '--amount'), 1_000_000_000_000);
    assert.ok(parseMajorAmount('9'.repeat(30), '--amount')! > 999_999_999_999);
  });

  it('--amount-minor takes digits only, as minor units', () => {
    assert.equal(parseMinorAmount('12345', '--amount-minor'), 12345);
    assert.equal(parseMinorAmount('007', '--amount-minor'), 7);
    assert.equal(parseMinorAmount(undefined, '--amount-minor'), undefined);
    for (const text of ['1.5', '-1', '1e3', '', ' 1', 'abc']) {
      assert.throws(
        () => parseMinorAmount(text, '--amount-minor'),
        (e: unknown) => e instanceof UsageError && e.message.startsWith('--amount-minor'),
        text,
      );
    }
  });

  it('formats minor units back to major units exactly', () => {
    assert.equal(formatMinor(12345), '123.45');
    assert.equal(formatMinor(5), '0.05');
    assert.equal(formatMinor(0), '0.00');
    assert.equal(formatMinor(-150), '-1.50');
    assert.equal(formatMinor(999_999_999_999), '9999999999.99');
  });
});
