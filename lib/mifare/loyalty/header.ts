// The application header block, written once at issuance and never again:
//   0-3 magic "JPLY" | 4 layout version | 5 purse flags (bit 0 points, bit 1 balance)
//   6-9 program id (u32 BE) | 10-13 member id (u32 BE) | 14-15 CRC-16 of bytes 0-13 (BE)

import { BLOCK_SIZE } from '../geometry';
import { crc16 } from './crc';
import { LAYOUT_VERSION, type LoyaltyLayout, type Purse } from './layout';

export const MAGIC = Buffer.from('JPLY', 'latin1');
const PURSE_FLAG: Record<Purse, number> = { points: 0x01, balance: 0x02 };

export function purseFlags(purses: readonly Purse[]): number {
  return purses.reduce((flags, p) => flags | PURSE_FLAG[p], 0);
}

export interface Header {
  version: number;
  flags: number;
  programId: number;
  memberId: number;
}

export type HeaderResult =
  | { status: 'ok'; header: Header }
  | { status: 'no-magic' }
  | { status: 'bad-crc' };

export function encodeHeader(layout: LoyaltyLayout, memberId: number): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  MAGIC.copy(block, 0);
  block[4] = LAYOUT_VERSION;
  block[5] = purseFlags(layout.purses);
  block.writeUInt32BE(layout.programId, 6);
  block.writeUInt32BE(memberId, 10);
  block.writeUInt16BE(crc16(block.subarray(0, 14)), 14);
  return block;
}

export function decodeHeader(block: Buffer): HeaderResult {
  if (!block.subarray(0, 4).equals(MAGIC)) return { status: 'no-magic' };
  if (crc16(block.subarray(0, 14)) !== block.readUInt16BE(14)) return { status: 'bad-crc' };
  return {
    status: 'ok',
    header: { version: block[4], flags: block[5], programId: block.readUInt32BE(6), memberId: block.readUInt32BE(10) },
  };
}
