import assert from 'node:assert/strict';
import {
  JPAY_STATUS_CODES,
  UNDECODED_ERROR_PREFIX,
  decodeErrorStack,
  describeStatus,
  encodeErrorText,
  isStatusCode,
  parseStatus,
} from '../../../lib/protocol/status';

describe('protocol/status', () => {
  it('lists the 30 statuses of Appendix A with the vendor spelling', () => {
    assert.equal(JPAY_STATUS_CODES.length, 30);
    assert.equal(new Set(JPAY_STATUS_CODES).size, 30);
    assert.ok(JPAY_STATUS_CODES.includes('pinpadmalfunctionornotprsent'));
    assert.ok(!(JPAY_STATUS_CODES as readonly string[]).includes('ormaterror'));
  });

  it('parses every status; only ok is ok', () => {
    for (const code of JPAY_STATUS_CODES) {
      assert.deepEqual(parseStatus(code), { code, raw: code, ok: code === 'ok' });
    }
  });

  it('trims and ignores case', () => {
    assert.deepEqual(parseStatus('\n  ok \n'), { code: 'ok', raw: 'ok', ok: true });
    assert.deepEqual(parseStatus('Cancelled'), { code: 'cancelled', raw: 'Cancelled', ok: false });
  });

  it('reads the document typo ormaterror as formaterror', () => {
    assert.deepEqual(parseStatus('ormaterror'), { code: 'formaterror', raw: 'ormaterror', ok: false });
  });

  it('keeps an unknown status raw and not ok', () => {
    assert.deepEqual(parseStatus('connectionerror'), { code: 'unknown', raw: 'connectionerror', ok: false });
    assert.deepEqual(parseStatus('constructor'), { code: 'unknown', raw: 'constructor', ok: false });
  });

  it('treats a missing status as not ok with raw empty', () => {
    assert.deepEqual(parseStatus(undefined), { code: 'unknown', raw: '', ok: false });
    assert.deepEqual(parseStatus('   '), { code: 'unknown', raw: '', ok: false });
  });

  it('isStatusCode accepts exactly the Appendix A codes', () => {
    assert.ok(isStatusCode('usechip'));
    assert.ok(!isStatusCode('ormaterror'));
    assert.ok(!isStatusCode('OK'));
    assert.ok(!isStatusCode(42));
    assert.ok(!isStatusCode('toString'));
  });

  it('describes every status in English and Russian, English texts distinct', () => {
    const english = new Set<string>();
    for (const code of JPAY_STATUS_CODES) {
      const en = describeStatus(code, 'en');
      const ru = describeStatus(code, 'ru');
      assert.ok(en.length > 0, `${code} en`);
      assert.ok(ru.length > 0, `${code} ru`);
      assert.match(ru, /[а-яё]/i, `${code} ru is Russian`);
      assert.notEqual(en, ru);
      english.add(en);
    }
    assert.equal(english.size, JPAY_STATUS_CODES.length);
    assert.equal(describeStatus('notauthorized', 'ru'), 'Недопустимый логин или пароль');
    assert.equal(describeStatus('ok', 'en'), 'Operation completed successfully');
    assert.equal(describeStatus('unknown', 'en'), 'Unknown status');
  });

  it('falls back to the unknown description for strings outside the table', () => {
    assert.equal(describeStatus('bogus' as 'unknown', 'ru'), 'Неизвестный статус');
  });

  it('decodes the error-stack example of the document', () => {
    assert.deepEqual(decodeErrorStack(['486F7374206E616D65206973206E6F7420666F756E642E']), [
      'Host name is not found.',
    ]);
  });

  it('decodes UTF-8 (Cyrillic), lower-case hex and hex wrapped over lines', () => {
    assert.deepEqual(decodeErrorStack(['D09DD0B5D18220D181D0B2D18FD0B7D0B8', '6f6b', '\n  486F73\n  74\n']), [
      'Нет связи',
      'ok',
      'Host',
    ]);
  });

  it('marks odd-length, non-hex and invalid UTF-8 values as undecoded without throwing', () => {
    assert.deepEqual(decodeErrorStack(['486F7', 'Host name', 'FF']), [
      `${UNDECODED_ERROR_PREFIX}486F7`,
      `${UNDECODED_ERROR_PREFIX}Host name`,
      `${UNDECODED_ERROR_PREFIX}FF`,
    ]);
    assert.ok(UNDECODED_ERROR_PREFIX.trim().length > 0);
  });

  it('decodes an empty stack and an empty error', () => {
    assert.deepEqual(decodeErrorStack([]), []);
    assert.deepEqual(decodeErrorStack(['']), ['']);
  });

  it('encodes error text as upper-case hex UTF-8, the inverse of decoding', () => {
    assert.equal(encodeErrorText('Host name is not found.'), '486F7374206E616D65206973206E6F7420666F756E642E');
    const text = 'Хост не найден: 10.0.0.1';
    const hex = encodeErrorText(text);
    assert.match(hex, /^[0-9A-F]+$/);
    assert.deepEqual(decodeErrorStack([hex]), [text]);
  });
});
