// A record slot of layout version 2: one block per purse, every block carrying the slot's
// transaction counter, key id and a MAC over the whole slot (docs/loyalty-card.md, "Layout
// version 2"):
//   0 t = counter bits 0-7 | 1 counter bits 8-15 | 2 key id | 3-6 value (u32 BE, ≤ 2³¹-1)
//   7-13 MAC (the first 7 bytes of HMAC-SHA-256) | 14 ~t | 15 ~t
// The MAC of block i covers the UID, the header block (as version 2 writes it), the slot,
// i, the key id, the counter and every purse value of the slot: a block is valid at one
// place on one card, with one header, and nowhere else.
//
// t at the start and ~t twice at the end make a torn write visible: a write that stores a
// prefix of the new block over the old one leaves byte 0 of one block and byte 15 of the
// other, whose counters differ, so it is not even well-formed (and a version 1 value block,
// whose bytes 14 and 15 are adr and ~adr, never is). A well-formed slot whose MAC does not
// verify was written by someone without the key: it is forged.

import { BLOCK_SIZE } from '../geometry';
import { MAX_KEY_ID, MIN_KEY_ID, type LoyaltyKeyring } from './keys';
import type { LoyaltyLayout, Purse } from './layout';
import { type PlannedWrite, type SlotRecord, purseValue } from './record';

export const V2_COUNTER_MODULO = 65536;
export const MAC_BYTES = 7;
const MAC_AT = 7;
const VALUE_LIMIT = 0x7fffffff;
const DOMAIN = Buffer.from('JPLY v2 slot', 'latin1');
const PURSE_TAG: Record<Purse, number> = { points: 0x01, balance: 0x02 };

export interface V2Record extends SlotRecord {
  keyId: number;
}

/** What binds a slot to its card: the UID and the header block as version 2 writes it. */
export interface CardBinding {
  uid: Buffer;
  header: Buffer;
}

export type V2SlotStatus =
  | { kind: 'valid'; record: V2Record }
  /** Well-formed, but its MAC does not verify (`bad-mac`) or no key has its id (`unknown-key`). */
  | { kind: 'forged'; reason: 'bad-mac' | 'unknown-key'; keyId: number; counter: number }
  /** Not a whole version 2 slot: a torn write, damage, blank, or another format. */
  | { kind: 'torn'; reason: string; blank: boolean };

function macInput(layout: LoyaltyLayout, binding: CardBinding, slot: 0 | 1, block: number, record: V2Record): Buffer {
  const values = Buffer.alloc(5 * layout.purses.length);
  layout.purses.forEach((purse, i) => {
    values[5 * i] = PURSE_TAG[purse];
    values.writeUInt32BE(purseValue(record, purse), 5 * i + 1);
  });
  const fixed = Buffer.alloc(6);
  fixed[0] = slot;
  fixed[1] = block;
  fixed[2] = record.keyId;
  fixed.writeUInt16BE(record.counter, 3);
  fixed[5] = binding.uid.length;
  return Buffer.concat([DOMAIN, fixed, binding.uid, binding.header, values]);
}

/** The layout's keys (a version 2 layout always has them). */
export function keyring(layout: LoyaltyLayout): LoyaltyKeyring {
  if (layout.keys === undefined) throw new Error('a version 2 slot needs the layout keys');
  return layout.keys;
}

export function encodeSlotV2(layout: LoyaltyLayout, binding: CardBinding, slot: 0 | 1, record: V2Record): PlannedWrite[] {
  const keys = keyring(layout);
  return layout.purses.map((purse, i) => {
    const data = Buffer.alloc(BLOCK_SIZE);
    const t = record.counter & 0xff;
    data[0] = t;
    data[1] = record.counter >>> 8;
    data[2] = record.keyId;
    data.writeUInt32BE(purseValue(record, purse), 3);
    keys.mac(record.keyId, macInput(layout, binding, slot, i, record), MAC_BYTES).copy(data, MAC_AT);
    data[14] = ~t & 0xff;
    data[15] = ~t & 0xff;
    return { block: layout.slots[slot][i], data };
  });
}

interface Framed {
  counter: number;
  keyId: number;
  value: number;
}

function frame(block: Buffer): Framed | string {
  const notT = ~block[0] & 0xff;
  if (block[14] !== notT || block[15] !== notT) return 'bytes 14-15 do not close byte 0 (torn or not a version 2 block)';
  const keyId = block[2];
  if (keyId < MIN_KEY_ID || keyId > MAX_KEY_ID) return `key id byte ${keyId}`;
  const value = block.readUInt32BE(3);
  if (value > VALUE_LIMIT) return `value ${value} out of range`;
  return { counter: block[0] | (block[1] << 8), keyId, value };
}

export function decodeSlotV2(layout: LoyaltyLayout, binding: CardBinding, slot: 0 | 1, blocks: readonly Buffer[]): V2SlotStatus {
  const blank = blocks.every((b) => b.every((byte) => byte === 0));
  const framed: Framed[] = [];
  for (let i = 0; i < layout.purses.length; i++) {
    const f = frame(blocks[i]);
    if (typeof f === 'string') return { kind: 'torn', reason: `${layout.purses[i]} block: ${f}`, blank };
    if (i > 0 && (f.counter !== framed[0].counter || f.keyId !== framed[0].keyId)) {
      return { kind: 'torn', reason: `${layout.purses[i]} block belongs to transaction ${f.counter}, not ${framed[0].counter}`, blank };
    }
    framed.push(f);
  }
  const { counter, keyId } = framed[0];
  const record: V2Record = { counter, keyId };
  layout.purses.forEach((purse, i) => (record[purse] = framed[i].value));
  const keys = keyring(layout);
  if (!keys.has(keyId)) return { kind: 'forged', reason: 'unknown-key', keyId, counter };
  for (let i = 0; i < layout.purses.length; i++) {
    if (!keys.verify(keyId, macInput(layout, binding, slot, i, record), blocks[i].subarray(MAC_AT, MAC_AT + MAC_BYTES))) {
      return { kind: 'forged', reason: 'bad-mac', keyId, counter };
    }
  }
  return { kind: 'valid', record };
}
