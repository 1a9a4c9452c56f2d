/** Identifiers a host or SBP agent hands out: RRNs, approval codes, QR ids, KCVs. */
import { createCipheriv, randomBytes, randomInt } from 'node:crypto';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function randomOf(alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export const randomDigits = (n: number): string => randomOf(ALNUM.slice(0, 10), n);
export const randomAlnum = (n: number): string => randomOf(ALNUM, n);

/** ISO 8583 field 37: 12 characters; here the year's last digit + day of year + 8 digits. */
export function newRrn(now: Date): string {
  const start = new Date(now.getFullYear(), 0, 0);
  const day = Math.floor((now.getTime() - start.getTime()) / 86_400_000);
  return `${now.getFullYear() % 10}${String(day).padStart(3, '0')}${randomDigits(8)}`;
}

export function newAuthNumber(): string {
  return randomAlnum(6);
}

export function newToken(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** Key check value: the first 3 bytes of AES-128-ECB(key, zero block), as 6 hex digits. */
export function kcv(key: Buffer): string {
  const cipher = createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.alloc(16)), cipher.final()]).subarray(0, 3).toString('hex').toUpperCase();
}

export function newKey(): Buffer {
  return randomBytes(16);
}

/** ISO local date-time (`2024-05-01T12:00:00`) of a Date, second precision. */
export function isoLocal(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
