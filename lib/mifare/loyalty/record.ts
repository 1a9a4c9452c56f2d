// A record slot: one NXP value block per purse. The value is the purse (points, or the
// balance in minor units); the value block's address byte carries the slot's transaction
// counter (mod 256), the same in every block of the slot. A slot is valid only when every
// block is a well-formed value block, the counters agree and no value is negative.

import { decodeValueBlock, encodeValueBlock } from '../value-block';
import type { LoyaltyLayout, Purse } from './layout';

/** Version 1 counters (the value block's address byte); version 2 counts mod 65536 (record-v2.ts). */
export const COUNTER_MODULO = 256;

export interface SlotRecord {
  /** Transaction counter, 0..255: committed operations since issuance, mod 256. */
  counter: number;
  points?: number;
  balance?: number;
}

export type SlotStatus =
  | { valid: true; record: SlotRecord }
  | { valid: false; reason: string; blank: boolean };

export interface PlannedWrite {
  block: number;
  data: Buffer;
}

export function purseValue(record: SlotRecord, purse: Purse): number {
  return record[purse] ?? 0;
}

export function encodeSlot(layout: LoyaltyLayout, slot: 0 | 1, record: SlotRecord): PlannedWrite[] {
  return layout.purses.map((purse, i) => ({
    block: layout.slots[slot][i],
    data: encodeValueBlock(purseValue(record, purse), record.counter),
  }));
}

export function decodeSlot(layout: LoyaltyLayout, blocks: readonly Buffer[]): SlotStatus {
  const blank = blocks.every((b) => b.every((byte) => byte === 0));
  const record: SlotRecord = { counter: -1 };
  for (let i = 0; i < layout.purses.length; i++) {
    const purse = layout.purses[i];
    const decoded = decodeValueBlock(blocks[i]);
    if (!decoded.ok) return { valid: false, reason: `${purse} block: ${decoded.reason}`, blank };
    if (record.counter === -1) record.counter = decoded.address;
    else if (decoded.address !== record.counter) {
      return { valid: false, reason: `${purse} block belongs to transaction ${decoded.address}, not ${record.counter}`, blank };
    }
    if (decoded.value < 0) return { valid: false, reason: `${purse} is negative (${decoded.value})`, blank };
    record[purse] = decoded.value;
  }
  return { valid: true, record };
}

export function sameRecord(a: SlotRecord, b: SlotRecord): boolean {
  return a.counter === b.counter && a.points === b.points && a.balance === b.balance;
}

/** (b - a) mod `modulo`: 1 when b is the transaction after a. */
export function counterDistance(a: number, b: number, modulo = COUNTER_MODULO): number {
  return (((b - a) % modulo) + modulo) % modulo;
}
