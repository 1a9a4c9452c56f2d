import assert from 'node:assert/strict';
import {
  amountFromWire,
  amountToWire,
  countFromWire,
  dateTimeFromWire,
  dateTimeToWire,
  decodeApplicationName,
  signedAmountFromWire,
  signedAmountToWire,
} from '../../../lib/protocol/values';

/** Asserts a RangeError whose message names the field. */
function throwsNaming(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => e instanceof RangeError && e.message.startsWith(`${field}:`));
}

describe('protocol/values', () => {
  describe('amountToWire', () => {
    it('writes 12 zero-padded digits', () => {
      assert.equal(amountToWire(0), '000000000000');
      assert.equal(amountToWire(1), '000000000001');
      assert.equal(amountToWire(12300), '000000012300');
      assert.equal(amountToWire(999999999999), '999999999999');
    });

    it('refuses out-of-range, fractional, negative and non-number values, naming the field', () => {
      throwsNaming(() => amountToWire(1e12), 'amount');
      throwsNaming(() => amountToWire(1.5), 'amount');
      throwsNaming(() => amountToWire(-1), 'amount');
      throwsNaming(() => amountToWire(Number.NaN), 'amount');
      throwsNaming(() => amountToWire(Number.POSITIVE_INFINITY), 'amount');
      throwsNaming(() => amountToWire(2 ** 53), 'amount');
      throwsNaming(() => amountToWire('12' as unknown as number), 'amount');
      throwsNaming(() => amountToWire(10n as unknown as number), 'amount');
      throwsNaming(() => amountToWire(-5, 'amount-other'), 'amount-other');
    });
  });

  describe('amountFromWire', () => {
    it('reads digits, trimming the whitespace of wrapped values', () => {
      assert.equal(amountFromWire('000000012300'), 12300);
      assert.equal(amountFromWire('\n    000000010000\n    '), 10000);
      assert.equal(amountFromWire('1000'), 1000);
      assert.equal(amountFromWire('999999999999'), 999999999999);
      assert.equal(amountFromWire('000000000000'), 0);
    });

    it('refuses empty, signed, decimal and over-long values', () => {
      throwsNaming(() => amountFromWire('', 'aa'), 'aa');
      throwsNaming(() => amountFromWire('-1'), 'amount');
      throwsNaming(() => amountFromWire('123.00'), 'amount');
      throwsNaming(() => amountFromWire('1 000'), 'amount');
      throwsNaming(() => amountFromWire('0000000000001'), 'amount');
      throwsNaming(() => amountFromWire(undefined as unknown as string, 'ao'), 'ao');
    });
  });

  describe('signed amounts (D = plus, C = minus)', () => {
    it('reads the document examples', () => {
      assert.equal(signedAmountFromWire('D003030001000', 'orig-amount'), 3030001000);
      assert.equal(signedAmountFromWire('C000000010000', 'total-sum'), -10000);
      assert.equal(signedAmountFromWire(' C000000010000\n'), -10000);
    });

    it('reads zero as 0, never -0', () => {
      assert.ok(Object.is(signedAmountFromWire('C000000000000'), 0));
      assert.ok(Object.is(signedAmountFromWire('D000000000000'), 0));
    });

    it('refuses a missing or unknown sign letter', () => {
      throwsNaming(() => signedAmountFromWire('003030001000', 'total-card-sum'), 'total-card-sum');
      throwsNaming(() => signedAmountFromWire('X000000010000'), 'amount');
      throwsNaming(() => signedAmountFromWire('-000000010000'), 'amount');
      throwsNaming(() => signedAmountFromWire('D'), 'amount');
    });

    it('writes sign letter and 12 digits and round-trips', () => {
      assert.equal(signedAmountToWire(3030001000), 'D003030001000');
      assert.equal(signedAmountToWire(-10000), 'C000000010000');
      assert.equal(signedAmountToWire(0), 'D000000000000');
      assert.equal(signedAmountToWire(-999999999999), 'C999999999999');
      for (const n of [0, 1, -1, 123456789012, -987654321]) {
        assert.equal(signedAmountFromWire(signedAmountToWire(n)), n);
      }
      throwsNaming(() => signedAmountToWire(-1e12, 'total-sum'), 'total-sum');
      throwsNaming(() => signedAmountToWire(0.5), 'amount');
    });
  });

  describe('countFromWire', () => {
    it('reads counters, trimmed', () => {
      assert.equal(countFromWire('400'), 400);
      assert.equal(countFromWire('\n   100\n   '), 100);
      assert.equal(countFromWire('0'), 0);
    });

    it('refuses non-digits, naming the field', () => {
      throwsNaming(() => countFromWire('100</refund-count', 'refund-count'), 'refund-count');
      throwsNaming(() => countFromWire(''), 'count');
      throwsNaming(() => countFromWire('-2'), 'count');
    });
  });

  describe('dates', () => {
    it('reads yymmddHHMMSS as a local ISO date-time', () => {
      assert.equal(dateTimeFromWire('180328120133'), '2018-03-28T12:01:33');
      assert.equal(dateTimeFromWire('190101100000', 'from'), '2019-01-01T10:00:00');
      assert.equal(dateTimeFromWire('240229235959'), '2024-02-29T23:59:59');
    });

    it('reads the 10-digit yymmddHHMM form of the card close example', () => {
      assert.equal(dateTimeFromWire('2210111200'), '2022-10-11T12:00:00');
    });

    it('refuses the invalid date of the document report example and other bad values', () => {
      throwsNaming(() => dateTimeFromWire('189329120002', 'time'), 'time');
      throwsNaming(() => dateTimeFromWire('230229120000'), 'datetime');
      throwsNaming(() => dateTimeFromWire('180400120000'), 'datetime');
      throwsNaming(() => dateTimeFromWire('180328240000'), 'datetime');
      throwsNaming(() => dateTimeFromWire('180328126000'), 'datetime');
      throwsNaming(() => dateTimeFromWire('180328120160'), 'datetime');
      throwsNaming(() => dateTimeFromWire('18032812013'), 'datetime');
      throwsNaming(() => dateTimeFromWire('18-03-28 12:01'), 'datetime');
    });

    it('writes the local time of a Date', () => {
      assert.equal(dateTimeToWire(new Date(2018, 2, 28, 12, 1, 33)), '180328120133');
      assert.equal(dateTimeToWire(new Date(2009, 0, 5, 3, 4, 5)), '090105030405');
      assert.equal(dateTimeFromWire(dateTimeToWire(new Date(2031, 11, 31, 23, 59, 58))), '2031-12-31T23:59:58');
      throwsNaming(() => dateTimeToWire(new Date(Number.NaN)), 'datetime');
      throwsNaming(() => dateTimeToWire(new Date(1999, 11, 31), 'time'), 'time');
    });
  });

  describe('decodeApplicationName', () => {
    // "VISA CREDIT" in ISO 8859-1 hex.
    const latinHex = '5649534120435245444954';
    // "МИР Дебет" in ISO 8859-5.
    const cyrillicHex = 'BCB8C020B4D5D1D5E2';

    it('decodes apname with the ict-id code table first', () => {
      assert.equal(
        decodeApplicationName({ apname: latinHex, ictId: '01', alabel: 'VISA', appname: 'VISA Classic' }),
        'VISA CREDIT',
      );
      assert.equal(decodeApplicationName({ apname: cyrillicHex, ictId: '05', alabel: 'MIR' }), 'МИР Дебет');
    });

    it('decodes upper ISO 8859-1 characters exactly', () => {
      assert.equal(decodeApplicationName({ apname: '4361727465204DE974726F', ictId: '01' }), 'Carte Métro');
    });

    it('falls back to alabel without apname or ict-id, or with an unsupported table', () => {
      assert.equal(decodeApplicationName({ ictId: '05', alabel: 'MIR', appname: 'Mir' }), 'MIR');
      assert.equal(decodeApplicationName({ apname: cyrillicHex, alabel: 'MIR', appname: 'Mir' }), 'MIR');
      assert.equal(decodeApplicationName({ apname: cyrillicHex, ictId: '11', alabel: 'MIR' }), 'MIR');
      assert.equal(decodeApplicationName({ apname: cyrillicHex, ictId: '00', alabel: 'MIR' }), 'MIR');
    });

    it('falls back to alabel when apname is not text in that table', () => {
      assert.equal(decodeApplicationName({ apname: 'BCB8C', ictId: '05', alabel: 'MIR' }), 'MIR');
      assert.equal(decodeApplicationName({ apname: 'МИР', ictId: '05', alabel: 'MIR' }), 'MIR');
      // 0x0A is a control character.
      assert.equal(decodeApplicationName({ apname: '4D490A', ictId: '01', alabel: 'MIR' }), 'MIR');
      // 0xA1 is unassigned in ISO 8859-6.
      assert.equal(decodeApplicationName({ apname: '41A1', ictId: '06', alabel: 'MIR' }), 'MIR');
    });

    it('falls back to appname, then undefined', () => {
      assert.equal(decodeApplicationName({ appname: 'VISA Classic' }), 'VISA Classic');
      assert.equal(decodeApplicationName({ alabel: '  ', appname: 'VISA Classic' }), 'VISA Classic');
      assert.equal(decodeApplicationName({}), undefined);
    });
  });
});
