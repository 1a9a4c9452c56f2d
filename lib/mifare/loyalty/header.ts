// The application header block, written at issuance (and once more by an upgrade to
// version 2), never changed by an operation:
//   0-3 magic "JPLY" | 4 layout version | 5 purse flags (bit 0 points, bit 1 balance)
//   6-9 program id (u32 BE) | 10-13 member id (u32 BE) | 14-15 CRC-16 of bytes 0-13 (BE)
// The CRC finds accidental damage. In version 2, every slot's MAC covers this block as
// version 2 writes it, so an edited or pasted header fails every slot (record-v2.ts).

import { BLOCK_SIZE } from '../geometry';
import { crc16 } from './crc';
import type { LayoutVersion, LoyaltyLayout, Purse } from './layout';

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
  /**
   * A torn upgrade: every byte is that of the version 1 or the version 2 header of the
   * same card (the CRC fits neither). `header.version` is 2.
   */
  | { status: 'upgrading'; header: Header }
  | { status: 'no-magic' }
  | { status: 'bad-crc' };

function headerBlock(version: number, flags: number, programId: number, memberId: number): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  MAGIC.copy(block, 0);
  block[4] = version;
  block[5] = flags;
  block.writeUInt32BE(programId, 6);
  block.writeUInt32BE(memberId, 10);
  block.writeUInt16BE(crc16(block.subarray(0, 14)), 14);
  return block;
}

export function encodeHeader(layout: LoyaltyLayout, memberId: number, version: LayoutVersion = layout.version): Buffer {
  return headerBlock(version, purseFlags(layout.purses), layout.programId, memberId);
}

/** The header block `header` describes, as written in `version`. */
export function canonicalHeader(header: Header, version: LayoutVersion): Buffer {
  return headerBlock(version, header.flags, header.programId, header.memberId);
}

function fieldsOf(block: Buffer): Header {
  return { version: block[4], flags: block[5], programId: block.readUInt32BE(6), memberId: block.readUInt32BE(10) };
}

export function decodeHeader(block: Buffer): HeaderResult {
  if (!block.subarray(0, 4).equals(MAGIC)) return { status: 'no-magic' };
  const header = fieldsOf(block);
  if (crc16(block.subarray(0, 14)) === block.readUInt16BE(14)) return { status: 'ok', header };
  const v1 = canonicalHeader(header, 1);
  const v2 = canonicalHeader(header, 2);
  if (block.every((byte, i) => byte === v1[i] || byte === v2[i])) return { status: 'upgrading', header: { ...header, version: 2 } };
  return { status: 'bad-crc' };
}
