/**
 * QR codes for SBP payment links, rendered as SVG so a dashboard can show them as they
 * are. The encoding itself (ISO/IEC 18004, byte mode, level M) is qrcode-generator's: a
 * small, dependency-free, long-maintained encoder beats carrying our own.
 */
import type QrCodeGenerator from 'qrcode-generator';
import { onFirstUse } from '../../lib/lazy';

// Loaded at the first QR code (SBP payments only), not with the package.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const qrcode = onFirstUse(() => require('qrcode-generator') as typeof QrCodeGenerator);

/** Byte-mode capacity of a version-40 symbol at error correction level M. */
export const QR_MAX_BYTES = 2331;

export class QrTooLongError extends Error {
  constructor(bytes: number) {
    super(`text of ${bytes} bytes is too long for a QR code`);
    this.name = 'QrTooLongError';
  }
}

/** The QR code of `text` (UTF-8) as rows of dark (true) / light modules, without the quiet zone. */
export function qrMatrix(text: string): boolean[][] {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > QR_MAX_BYTES) throw new QrTooLongError(bytes.length);
  const code = qrcode()(0, 'M');
  // qrcode-generator's default byte conversion keeps the low 8 bits of each char, so a
  // latin1 string of the UTF-8 bytes encodes exactly those bytes (no global setting touched).
  code.addData(bytes.toString('latin1'), 'Byte');
  code.make();
  const size = code.getModuleCount();
  const rows: boolean[][] = [];
  for (let y = 0; y < size; y++) {
    const row: boolean[] = [];
    for (let x = 0; x < size; x++) row.push(code.isDark(y, x));
    rows.push(row);
  }
  return rows;
}

/** An SVG document of the QR code, with a 4-module quiet zone. Throws QrTooLongError. */
export function qrSvg(text: string, border = 4): string {
  const modules = qrMatrix(text);
  const size = modules.length + border * 2;
  const parts: string[] = [];
  modules.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      let run = 1;
      while (x + run < row.length && row[x + run]) run++;
      parts.push(`M${x + border},${y + border}h${run}v1h-${run}z`);
      x += run - 1;
    }
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">` +
    `<rect width="100%" height="100%" fill="#ffffff"/><path d="${parts.join('')}" fill="#000000"/></svg>`
  );
}

export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}
