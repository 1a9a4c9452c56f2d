// Block 0, the manufacturer block (MF1S50yyX §8.6.1): the UID, then manufacturer data.
// A 4-byte UID is followed by its BCC (the XOR of its bytes); a 7-byte UID has none. The
// JPAY `card` messages carry no UID (§8.9): it is read from this block, as any block.

import { BLOCK_SIZE } from './geometry';

export const MANUFACTURER_BLOCK = 0;

/** Block Check Character: the XOR of the UID bytes. */
export function bcc(uid: Uint8Array): number {
  return uid.reduce((acc, b) => acc ^ b, 0);
}

/** A 4-byte UID when bytes 0-3 check against the BCC in byte 4, else a 7-byte UID. */
export function uidFromManufacturerBlock(block: Buffer): Buffer {
  if (!Buffer.isBuffer(block) || block.length !== BLOCK_SIZE) throw new TypeError(`block 0 is ${BLOCK_SIZE} bytes`);
  const four = block.subarray(0, 4);
  return Buffer.from(bcc(four) === block[4] ? four : block.subarray(0, 7));
}
