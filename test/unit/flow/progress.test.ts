import assert from 'node:assert/strict';
import { displayProgress, keepaliveProgress, qrProgress, resolveLanguage, shortStatusText } from '../../../nodes/jpay-transaction/progress';

describe('flow/progress', () => {
  it('describes a display message in the terminal language or the chosen one', () => {
    assert.deepEqual(displayProgress({ code: '15', language: 'ruen', valueQualifier: '10', amount: 15000, currency: '643' }, 'auto'), {
      event: 'display',
      text: 'Приложите карту',
      code: '15',
      language: 'ru',
      amount: 15000,
      currency: '643',
    });
    assert.deepEqual(displayProgress({ code: '03', language: 'ruen' }, 'en'), { event: 'display', text: 'Approved', code: '03', language: 'en' });
    assert.equal(displayProgress({ code: '99', text: 'Own text' }, 'auto').event, 'display');
    assert.equal(resolveLanguage('auto', undefined), 'en');
  });

  it('gives an SBP QR code as SVG and data URL, and a hide event', () => {
    const shown = qrProgress({ show: true, url: 'https://qr.nspk.ru/AD1?sum=100' });
    assert.equal(shown.event, 'qrcode');
    assert.ok(shown.event === 'qrcode' && shown.show);
    if (shown.event === 'qrcode' && shown.show) {
      assert.equal(shown.url, 'https://qr.nspk.ru/AD1?sum=100');
      assert.match(shown.svg ?? '', /^<svg /);
      assert.match(shown.image ?? '', /^data:image\/svg\+xml;base64,/);
    }
    assert.deepEqual(qrProgress({ show: false }), { event: 'qrcode', show: false });
    const tooLong = qrProgress({ show: true, url: 'x'.repeat(3000) });
    assert.ok(tooLong.event === 'qrcode' && tooLong.show && tooLong.image === undefined);
  });

  it('counts keepalives and shortens status texts', () => {
    assert.deepEqual(keepaliveProgress(3), { event: 'keepalive', count: 3 });
    assert.equal(shortStatusText('  Present   card '), 'Present card');
    assert.equal(shortStatusText('x'.repeat(60)).length, 40);
  });
});
