import assert from 'node:assert/strict';
import { Progress } from '../../../lib/cli/jpay/progress';
import { makeRedactor } from '../../../lib/cli/jpay/redact';

describe('cli redaction and progress', () => {
  it('masks card numbers everywhere and hides passwords in diagnostics only', () => {
    const secrets = { hidden: ['12345678'], pans: ['4000000000000002'] };
    const diag = makeRedactor(secrets, true);
    const result = makeRedactor(secrets, false);
    assert.equal(diag('pw 12345678 pan 4000000000000002'), 'pw [redacted] pan 400000******0002');
    assert.equal(result('tid 12345678 pan 4000000000000002'), 'tid 12345678 pan 400000******0002');
  });

  it('prints display texts in the terminal language, with the amount', () => {
    const lines: string[] = [];
    const p = new Progress((l) => lines.push(l));
    p.display({ code: '15', language: 'ruen' });
    p.display({ code: '15', language: 'en' });
    p.display({ code: '03', language: 'ruen', valueQualifier: '10', amount: 12345, currency: '643' });
    p.display({ code: '1E' });
    p.display({ code: 'D1', text: 'Своё сообщение' });
    assert.deepEqual(lines, ['[display] Приложите карту', '[display] Present card', '[display] Одобрено 123.45 (643)', '[display] Своё сообщение']);
  });

  it('prints QR URLs, keepalive ticks and runreset state, never dex values', () => {
    const lines: string[] = [];
    const p = new Progress((l) => lines.push(l));
    p.qrCode({ show: true, url: 'https://qr.nspk.ru/AD10006M8KH' });
    p.qrCode({ show: false });
    p.keepalive({ command: 'transaction', count: 1, cancelling: false });
    p.keepalive({ command: 'transaction', count: 2, cancelling: true });
    p.keepalive({ command: 'runreset', count: 3, cancelling: false, activatorConnected: false });
    p.dex({ kernelTags: [{ name: '5A', value: '4000000000000002' }] });
    assert.deepEqual(lines.slice(0, 5), [
      '[qr] scan to pay: https://qr.nspk.ru/AD10006M8KH',
      '[qr] hidden',
      '[keepalive] 1',
      '[keepalive] 2 (answering: cancelled)',
      '[runreset] activator not connected yet',
    ]);
    assert.ok(!lines.join('\n').includes('4000000000000002'));
  });
});
