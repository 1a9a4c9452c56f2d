// 16-byte MIFARE block helpers. The `card` session (§8.9) carries blocks as Base64.

import { JpayValidationError } from '../errors';
import { BLOCK_SIZE } from './geometry';

export function assertBlock(buf: unknown, field: string): asserts buf is Buffer {
  if (!Buffer.isBuffer(buf)) throw new JpayValidationError(field, 'must be a Buffer');
  if (buf.length !== BLOCK_SIZE) {
    throw new JpayValidationError(field, `must be exactly ${BLOCK_SIZE} bytes (got ${buf.length})`);
  }
}

const HEX_BLOCK = /^[0-9a-fA-F]{32}$/;

/** Exactly 32 hex digits (either case; no spaces). */
export function blockFromHex(hex: string, field = 'block'): Buffer {
  if (typeof hex !== 'string' || !HEX_BLOCK.test(hex)) {
    throw new JpayValidationError(field, `must be ${BLOCK_SIZE * 2} hex digits`);
  }
  return Buffer.from(hex, 'hex');
}

/** Upper-case hex, the way dump tools and the EMV tags in this project print bytes. */
export function blockToHex(buf: Buffer): string {
  assertBlock(buf, 'block');
  return buf.toString('hex').toUpperCase();
}

// 16 bytes = 22 Base64 characters + "=="; the 22nd carries 2 bits and 4 zero bits, hence
// [AQgw]. Node's decoder silently skips bad characters, so the text is checked first.
const BASE64_BLOCK = /^[A-Za-z0-9+/]{21}[AQgw](==)?$/;

/** Standard Base64 of exactly 16 bytes; surrounding/embedded whitespace (XML text) is ignored. */
export function blockFromBase64(b64: string, field = 'payload'): Buffer {
  const text = typeof b64 === 'string' ? b64.replace(/\s+/g, '') : '';
  if (!BASE64_BLOCK.test(text)) {
    throw new JpayValidationError(field, `must be Base64 of exactly ${BLOCK_SIZE} bytes`);
  }
  return Buffer.from(text, 'base64');
}

export function blockToBase64(buf: Buffer): string {
  assertBlock(buf, 'block');
  return buf.toString('base64');
}
