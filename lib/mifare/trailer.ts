// Sector trailer (MF1S50yyX §8.6.3, §8.7): key A (bytes 0-5), access bits (6-8), general
// purpose byte GPB (9), key B (10-15). Each of the sector's four groups (3 = the trailer)
// has three access bits C1 C2 C3, stored once plain and once inverted:
//   byte 6: ~C2(3..0) ~C1(3..0)   byte 7: C1(3..0) ~C3(3..0)   byte 8: C3(3..0) C2(3..0)
// A real card irreversibly blocks a sector whose copies disagree.

import { JpayValidationError } from '../errors';
import { type CardKind, isManufacturerBlock, isSectorTrailer, isValidBlock, blockCount, sectorOf } from './geometry';

/** One group's access condition as the 3-bit number C1C2C3 (C1 = most significant), 0..7. */
export type AccessCondition = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Conditions for groups 0, 1, 2 (data blocks) and 3 (the trailer). */
export type AccessConditions = readonly [AccessCondition, AccessCondition, AccessCondition, AccessCondition];

export type AccessBitsResult =
  | { ok: true; conditions: AccessConditions; gpb: number }
  | { ok: false; reason: string };

export type GuardResult = { ok: true } | { ok: false; reason: string };

export interface GuardOptions {
  allowTrailerWrites?: boolean;
  allowManufacturerBlock?: boolean;
}

export const KEY_SIZE = 6;

/** Factory state: data blocks 000 (all access with either key), trailer 001, GPB 69h. */
export const TRANSPORT_ACCESS_CONDITIONS: AccessConditions = [0, 0, 0, 1];
export const TRANSPORT_GPB = 0x69;
export const DEFAULT_KEY_HEX = 'FFFFFFFFFFFF';
export const DEFAULT_TRANSPORT_TRAILER_HEX = 'FFFFFFFFFFFFFF078069FFFFFFFFFFFF';

/** A fresh copy of the factory trailer, safe to mutate. */
export function transportTrailer(): Buffer {
  return Buffer.from(DEFAULT_TRANSPORT_TRAILER_HEX, 'hex');
}

/** FFFFFFFFFFFF FF0780 69 FFFFFFFFFFFF. Shared: copy it (or call transportTrailer()) before mutating. */
export const DEFAULT_TRANSPORT_TRAILER: Buffer = transportTrailer();

export function decodeAccessBits(trailer: Buffer): AccessBitsResult {
  if (!Buffer.isBuffer(trailer) || trailer.length !== 16) return { ok: false, reason: 'a sector trailer is 16 bytes' };
  const [b6, b7, b8] = [trailer[6], trailer[7], trailer[8]];
  const [c1, c2, c3] = [b7 >> 4, b8 & 0x0f, b8 >> 4];
  if ((b6 & 0x0f) !== (~c1 & 0x0f)) return { ok: false, reason: 'access bits C1 do not match their inverted copy' };
  if (b6 >> 4 !== (~c2 & 0x0f)) return { ok: false, reason: 'access bits C2 do not match their inverted copy' };
  if ((b7 & 0x0f) !== (~c3 & 0x0f)) return { ok: false, reason: 'access bits C3 do not match their inverted copy' };
  const group = (g: number): AccessCondition =>
    ((((c1 >> g) & 1) << 2) | (((c2 >> g) & 1) << 1) | ((c3 >> g) & 1)) as AccessCondition;
  return { ok: true, conditions: [group(0), group(1), group(2), group(3)], gpb: trailer[9] };
}

function assertConditions(conditions: readonly number[]): asserts conditions is AccessConditions {
  if (!Array.isArray(conditions) || conditions.length !== 4) {
    throw new JpayValidationError('conditions', 'must list 4 access conditions (groups 0, 1, 2, trailer)');
  }
  conditions.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c > 7) throw new JpayValidationError(`conditions[${i}]`, 'must be an integer 0..7 (C1C2C3)');
  });
}

function assertByte(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new JpayValidationError(field, 'must be an integer 0..255');
}

/** Trailer bytes 6..9: the access bits with their inverted copies, then the GPB. */
export function encodeAccessBits(conditions: readonly number[], gpb: number = TRANSPORT_GPB): Buffer {
  assertConditions(conditions);
  assertByte(gpb, 'gpb');
  let [c1, c2, c3] = [0, 0, 0];
  conditions.forEach((c, g) => {
    c1 |= ((c >> 2) & 1) << g;
    c2 |= ((c >> 1) & 1) << g;
    c3 |= (c & 1) << g;
  });
  return Buffer.from([((~c2 & 0x0f) << 4) | (~c1 & 0x0f), (c1 << 4) | (~c3 & 0x0f), (c3 << 4) | c2, gpb]);
}

export interface TrailerParts {
  keyA: Buffer;
  keyB: Buffer;
  conditions: readonly number[];
  gpb?: number;
}

export function encodeTrailer(parts: TrailerParts): Buffer {
  for (const field of ['keyA', 'keyB'] as const) {
    const key = parts[field];
    if (!Buffer.isBuffer(key) || key.length !== KEY_SIZE) throw new JpayValidationError(field, `must be ${KEY_SIZE} bytes`);
  }
  return Buffer.concat([parts.keyA, encodeAccessBits(parts.conditions, parts.gpb), parts.keyB]);
}

/**
 * Whether the trailer's own condition lets key B be read (then it is plain data and cannot
 * authenticate): C1C2C3 = 000, 010 or 001 (transport).
 */
export function isKeyBReadable(trailerCondition: AccessCondition): boolean {
  return trailerCondition === 0 || trailerCondition === 1 || trailerCondition === 2;
}

/**
 * Whether a write to this block may go ahead: sector trailers (keys and access bits; a bad
 * one locks the sector for good) only when allowed, block 0 (read-only on genuine cards)
 * only when allowed.
 */
export function guardWrite(block: number, kind: CardKind, options: GuardOptions = {}): GuardResult {
  if (!isValidBlock(block, kind)) {
    return { ok: false, reason: `block ${String(block)} is out of range for a ${kind} card (0..${blockCount(kind) - 1})` };
  }
  if (isManufacturerBlock(block) && !options.allowManufacturerBlock) {
    return { ok: false, reason: 'block 0 is the manufacturer block (read-only on genuine cards)' };
  }
  if (isSectorTrailer(block, kind) && !options.allowTrailerWrites) {
    return { ok: false, reason: `block ${block} is the trailer of sector ${sectorOf(block, kind)} (keys and access bits); trailer writes are not allowed` };
  }
  return { ok: true };
}
