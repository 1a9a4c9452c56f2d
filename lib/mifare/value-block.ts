// NXP value block (MF1S50yyX §8.6.2.1): a signed 32-bit value stored three times
// (bytes 0-3 value, 4-7 its bitwise inverse, 8-11 value; little-endian, two's complement)
// and a 1-byte address stored four times (12 adr, 13 ~adr, 14 adr, 15 ~adr). The card
// checks this format before increment/decrement/transfer; we check it on every decode.

import { JpayValidationError } from '../errors';
import { BLOCK_SIZE } from './geometry';

export type ValueBlockResult =
  | { ok: true; value: number; address: number }
  | { ok: false; reason: string };

export const VALUE_MIN = -0x80000000;
export const VALUE_MAX = 0x7fffffff;

export function encodeValueBlock(value: number, address: number): Buffer {
  if (!Number.isInteger(value) || value < VALUE_MIN || value > VALUE_MAX) {
    throw new JpayValidationError('value', `must be a signed 32-bit integer (${VALUE_MIN}..${VALUE_MAX})`);
  }
  if (!Number.isInteger(address) || address < 0 || address > 0xff) {
    throw new JpayValidationError('address', 'must be an integer 0..255');
  }
  const buf = Buffer.alloc(BLOCK_SIZE);
  buf.writeInt32LE(value, 0);
  buf.writeInt32LE(~value, 4);
  buf.writeInt32LE(value, 8);
  buf.set([address, ~address & 0xff, address, ~address & 0xff], 12);
  return buf;
}

export function decodeValueBlock(buf: Buffer): ValueBlockResult {
  if (!Buffer.isBuffer(buf) || buf.length !== BLOCK_SIZE) {
    return { ok: false, reason: `a value block is ${BLOCK_SIZE} bytes` };
  }
  for (let i = 0; i < 4; i++) {
    if (buf[4 + i] !== (~buf[i] & 0xff)) return { ok: false, reason: `byte ${4 + i} is not the inverse of byte ${i}` };
    if (buf[8 + i] !== buf[i]) return { ok: false, reason: `byte ${8 + i} differs from byte ${i}` };
  }
  const address = buf[12];
  if (buf[13] !== (~address & 0xff)) return { ok: false, reason: 'byte 13 is not the inverse of byte 12' };
  if (buf[14] !== address) return { ok: false, reason: 'byte 14 differs from byte 12' };
  if (buf[15] !== (~address & 0xff)) return { ok: false, reason: 'byte 15 is not the inverse of byte 12' };
  return { ok: true, value: buf.readInt32LE(0), address };
}

export function isValueBlock(buf: Buffer): boolean {
  return decodeValueBlock(buf).ok;
}
