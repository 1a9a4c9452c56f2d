import assert from 'node:assert/strict';
import { qrMatrix, qrSvg, QrTooLongError, svgDataUrl } from '../../../nodes/jpay-transaction/qr';

/** The 7×7 finder pattern with its top-left corner at (x, y). */
function hasFinder(m: boolean[][], x: number, y: number): boolean {
  for (let dy = 0; dy < 7; dy++) {
    for (let dx = 0; dx < 7; dx++) {
      const d = Math.max(Math.abs(dx - 3), Math.abs(dy - 3));
      if (m[y + dy][x + dx] !== (d !== 2)) return false;
    }
  }
  return true;
}

/** Reads the 15 format bits next to the top-left finder and undoes the mask 0x5412. */
function formatInfo(m: boolean[][]): { ecl: number; mask: number } {
  let bits = 0;
  const at = (x: number, y: number): number => (m[y][x] ? 1 : 0);
  const order: [number, number][] = [];
  for (let i = 0; i <= 5; i++) order.push([8, i]);
  order.push([8, 7], [8, 8], [7, 8]);
  for (let i = 9; i < 15; i++) order.push([14 - i, 8]);
  order.forEach(([x, y], i) => (bits |= at(x, y) << i));
  const data = (bits ^ 0x5412) >>> 10;
  return { ecl: data >>> 3, mask: data & 7 };
}

describe('flow/qr', () => {
  it('picks the smallest version and draws finders, timing and format information', () => {
    for (const [text, size] of [
      ['Hello, world!', 21],
      ['https://qr.nspk.ru/AD10006M8KH234KSDF8HAS0DFHA?type=02&bank=100000000111&sum=15000&cur=RUB&crc=AB75', 41],
      ['Оплата СБП', 25],
      ['x'.repeat(2331), 177],
    ] as const) {
      const m = qrMatrix(text);
      assert.equal(m.length, size, text.slice(0, 20));
      assert.ok(hasFinder(m, 0, 0) && hasFinder(m, size - 7, 0) && hasFinder(m, 0, size - 7));
      for (let i = 8; i < size - 8; i++) assert.equal(m[6][i], i % 2 === 0);
      assert.equal(m[size - 8][8], true, 'dark module');
      assert.equal(formatInfo(m).ecl, 0, 'level M');
    }
  });

  it('is deterministic and renders an SVG data URL', () => {
    const svg = qrSvg('https://example.org/pay?id=1');
    assert.equal(svg, qrSvg('https://example.org/pay?id=1'));
    assert.ok(svg.length < 5000, 'rows are drawn as runs');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* viewBox="0 0 37 37"/);
    const url = svgDataUrl(svg);
    assert.ok(url.startsWith('data:image/svg+xml;base64,'));
    assert.equal(Buffer.from(url.split(',')[1], 'base64').toString('utf8'), svg);
  });

  it('refuses a text too long for any version', () => {
    assert.throws(() => qrMatrix('x'.repeat(2332)), QrTooLongError);
  });
});
