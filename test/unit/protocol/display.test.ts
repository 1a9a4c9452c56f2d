import assert from 'node:assert/strict';
import {
  DISPLAY_MESSAGES,
  UI_STATUSES,
  type DisplayCode,
  describeDisplay,
  displayMessage,
  isDisplayCode,
  normalizeDisplayCode,
  pickLanguage,
  uiStatusText,
} from '../../../lib/protocol/display';
import type { DisplayMessage } from '../../../lib/protocol/types';

const EXPECTED_CODES = [
  '01', '02', '03', '04', '05', '06', '07', '08', '09', '0A', '0B', '0C', '0D', '0E', '0F', '10',
  '11', '12', '13', '14', '15', '16', '17', '18', '19', '1A', '1B', '1C', '1D', '1E', '20', '21',
  'D1', 'D2', 'D3', 'D4', 'D5',
];

describe('protocol/display', () => {
  it('has exactly the EMV Book 4, Book A and JPAY identifiers', () => {
    assert.deepEqual(Object.keys(DISPLAY_MESSAGES).sort(), [...EXPECTED_CODES].sort());
    assert.equal(DISPLAY_MESSAGES['0B'].source, 'emv-book-4');
    assert.equal(DISPLAY_MESSAGES['15'].source, 'emv-book-a');
    assert.equal(DISPLAY_MESSAGES.D3.source, 'jpay');
  });

  it('gives every code a text in both languages (1E clears the display)', () => {
    const english = new Set<string>();
    for (const code of EXPECTED_CODES) {
      const en = displayMessage(code, 'en');
      const ru = displayMessage(code, 'ru');
      if (code === '1E') {
        assert.equal(en, '');
        assert.equal(ru, '');
        continue;
      }
      assert.ok(en !== undefined && en.length > 0, `${code} en`);
      assert.ok(ru !== undefined && /[А-ЯЁ]/i.test(ru), `${code} ru is Russian`);
      english.add(en);
    }
    assert.equal(english.size, EXPECTED_CODES.length - 1, 'English texts are distinct');
  });

  it('uses natural terminal wording', () => {
    assert.equal(displayMessage('03', 'ru'), 'Одобрено');
    assert.equal(displayMessage('15', 'ru'), 'Приложите карту');
    assert.equal(displayMessage('03', 'en'), 'Approved');
    assert.equal(displayMessage('D1', 'ru'), 'Подключение к хосту банка');
    assert.equal(displayMessage('D5', 'en'), 'PIN try limit exceeded');
  });

  it('accepts lower-case hex, surrounding whitespace and a dropped leading zero', () => {
    assert.equal(displayMessage('0a', 'en'), 'Incorrect PIN');
    assert.equal(displayMessage('d4', 'ru'), 'Ответ получен');
    assert.equal(displayMessage(' 17\n', 'en'), 'Card read OK, please remove card');
    assert.equal(displayMessage('3', 'en'), displayMessage('03', 'en'));
    assert.equal(normalizeDisplayCode('b'), '0B');
  });

  it('returns undefined for unknown or malformed codes', () => {
    assert.equal(displayMessage('1F', 'en'), undefined);
    assert.equal(displayMessage('00', 'en'), undefined);
    assert.equal(displayMessage('D6', 'ru'), undefined);
    assert.equal(displayMessage('003', 'en'), undefined);
    assert.equal(displayMessage('', 'en'), undefined);
    assert.equal(displayMessage('zz', 'en'), undefined);
    assert.ok(!isDisplayCode('toString'));
    assert.ok(isDisplayCode('1A' satisfies DisplayCode));
  });

  it('picks the first supported language of the ISO-639 pair list', () => {
    assert.equal(pickLanguage('ruen'), 'ru');
    assert.equal(pickLanguage('enru'), 'en');
    assert.equal(pickLanguage('de'), 'en');
    assert.equal(pickLanguage('deru'), 'ru');
    assert.equal(pickLanguage('RUEN'), 'ru');
    assert.equal(pickLanguage(undefined), 'en');
    assert.equal(pickLanguage(''), 'en');
    assert.equal(pickLanguage('ruen', ['en']), 'en');
    // Pairs are aligned: "ur|u" must not match "ru".
    assert.equal(pickLanguage('uru'), 'en');
  });

  it('describes the kernel UI status in both languages', () => {
    assert.deepEqual(Object.keys(UI_STATUSES), ['00', '01', '02', '03', '04', '05']);
    assert.equal(uiStatusText('02', 'en'), 'Ready to read');
    assert.equal(uiStatusText('04', 'ru'), 'Карта успешно считана');
    for (const code of Object.keys(UI_STATUSES)) {
      assert.ok((uiStatusText(code, 'en') ?? '').length > 0);
      assert.ok((uiStatusText(code, 'ru') ?? '').length > 0);
    }
    assert.equal(uiStatusText('06', 'en'), undefined);
  });

  it('prefers the terminal msg, as in the document example', () => {
    const d = describeDisplay({
      code: '03',
      language: 'ruen',
      msg: 'ОДОБРЕНО',
      status: '02',
      valueQualifier: '00',
      value: '000000000000',
      currency: '643',
    });
    assert.deepEqual(d, { text: 'ОДОБРЕНО' });
  });

  it('falls back to the table text in the preferred or requested language', () => {
    assert.deepEqual(describeDisplay({ code: '15', language: 'ruen' }), { text: 'Приложите карту' });
    assert.deepEqual(describeDisplay({ code: '15', lang: 'enru' }), { text: 'Present card' });
    assert.deepEqual(describeDisplay({ code: '15', language: 'ruen', msg: '  ' }, 'en'), { text: 'Present card' });
    assert.deepEqual(describeDisplay({ code: 'EE' }), { text: '' });
    assert.deepEqual(describeDisplay({}), { text: '' });
  });

  it('returns the amount in minor units when the value qualifier is 10', () => {
    assert.deepEqual(
      describeDisplay({ code: '01', language: 'ru', valueQualifier: '10', value: '000000012300', currency: '643' }),
      { text: 'Сумма', amount: 12300, currency: '643' },
    );
    assert.deepEqual(describeDisplay({ code: '01', valueQualifier: '10', value: '000000000000' }, 'en'), {
      text: 'Amount',
      amount: 0,
    });
  });

  it('accepts an already-decoded DisplayMessage (text, amount)', () => {
    const decoded: DisplayMessage = { code: '01', language: 'ruen', text: 'К оплате', valueQualifier: '10', amount: 500 };
    assert.deepEqual(describeDisplay(decoded), { text: 'К оплате', amount: 500 });
    assert.deepEqual(describeDisplay({ code: '01', valueQualifier: '10', amount: 1.5 }, 'en'), { text: 'Amount' });
  });

  it('leaves out a malformed amount instead of throwing', () => {
    assert.deepEqual(describeDisplay({ code: '01', valueQualifier: '10', value: '12.30' }, 'en'), { text: 'Amount' });
  });
});
