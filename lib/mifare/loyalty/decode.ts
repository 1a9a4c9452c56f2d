// Classify what was read from a card (docs/loyalty-card.md, "Reading a card"). Pure.

import { JpayValidationError } from '../../errors';
import { BLOCK_SIZE } from '../geometry';
import { type Header, decodeHeader, purseFlags } from './header';
import { LAYOUT_VERSION, type LoyaltyLayout, planRead } from './layout';
import { type SlotRecord, type SlotStatus, counterDistance, decodeSlot, sameRecord } from './record';

export interface LoyaltyState {
  programId: number;
  memberId: number;
  /** Committed operations since issuance, mod 256. */
  counter: number;
  /** Present when the layout has a points purse. */
  points?: number;
  /** Minor units; present when the layout has a balance purse. */
  balance?: number;
}

export type ForeignReason = 'not-ours' | 'unsupported-version' | 'other-purses' | 'other-program';
export type CorruptedReason = 'bad-header' | 'no-valid-record' | 'conflicting-records' | 'issuance-interrupted';

export interface OkCard {
  kind: 'ok';
  state: LoyaltyState;
  /** The two slots are not identical copies: planRepair restores the backup copy. */
  needsRepair: boolean;
  /** The slot holding the committed state (0 = A, 1 = B; A when both are identical). */
  current: 0 | 1;
  slots: readonly [SlotStatus, SlotStatus];
  detail: string;
}

export type DecodedCard =
  | { kind: 'blank'; needsRepair: false; detail: string }
  | { kind: 'foreign'; needsRepair: false; reason: ForeignReason; detail: string; programId?: number }
  | { kind: 'corrupted'; needsRepair: false; reason: CorruptedReason; detail: string; header?: Header }
  | OkCard;

/** Counter distance of a slot one transaction behind the other: (g - (g + 1)) mod 256. */
const ONE_BEHIND = 255;

function isZero(block: Buffer): boolean {
  return block.every((byte) => byte === 0);
}

function blockOf(blocks: ReadonlyMap<number, Buffer>, block: number): Buffer {
  const data = blocks.get(block);
  if (!Buffer.isBuffer(data) || data.length !== BLOCK_SIZE) {
    throw new JpayValidationError(`blocks[${block}]`, `must be the ${BLOCK_SIZE} bytes read from block ${block}`);
  }
  return data;
}

function stateOf(header: Header, record: SlotRecord): LoyaltyState {
  const state: LoyaltyState = { programId: header.programId, memberId: header.memberId, counter: record.counter };
  if (record.points !== undefined) state.points = record.points;
  if (record.balance !== undefined) state.balance = record.balance;
  return state;
}

/** `blocks` maps each block of planRead(layout) to the 16 bytes read from it. */
export function decodeCard(layout: LoyaltyLayout, blocks: ReadonlyMap<number, Buffer>): DecodedCard {
  const all = planRead(layout).map((b) => blockOf(blocks, b));
  if (all.every(isZero)) return { kind: 'blank', needsRepair: false, detail: 'all data blocks are zero' };

  const headerBlock = all[0];
  const slots = [
    decodeSlot(layout, layout.slots[0].map((b) => blockOf(blocks, b))),
    decodeSlot(layout, layout.slots[1].map((b) => blockOf(blocks, b))),
  ] as const;
  const [a, b] = slots;
  // Issuance writes header, slot A, slot B: with B never written there was never a commit.
  const interrupted = !a.valid && !b.valid && b.blank;

  const decoded = decodeHeader(headerBlock);
  if (decoded.status === 'no-magic') {
    const detail = isZero(headerBlock) ? 'the header block is empty but the other blocks hold data' : 'no JPLY magic in the header block';
    return { kind: 'foreign', needsRepair: false, reason: 'not-ours', detail };
  }
  if (decoded.status === 'bad-crc') {
    return interrupted
      ? { kind: 'corrupted', needsRepair: false, reason: 'issuance-interrupted', detail: 'the header is torn and no record was written' }
      : { kind: 'corrupted', needsRepair: false, reason: 'bad-header', detail: 'header CRC mismatch' };
  }
  const { header } = decoded;
  if (header.version !== LAYOUT_VERSION) {
    return { kind: 'foreign', needsRepair: false, reason: 'unsupported-version', detail: `layout version ${header.version}`, programId: header.programId };
  }
  if (header.flags !== purseFlags(layout.purses)) {
    return { kind: 'foreign', needsRepair: false, reason: 'other-purses', detail: `purse flags ${header.flags}`, programId: header.programId };
  }
  if (header.programId !== layout.programId) {
    return { kind: 'foreign', needsRepair: false, reason: 'other-program', detail: `program ${header.programId}`, programId: header.programId };
  }

  if (!a.valid && !b.valid) {
    return interrupted
      ? { kind: 'corrupted', needsRepair: false, reason: 'issuance-interrupted', detail: 'no record was ever committed', header }
      : { kind: 'corrupted', needsRepair: false, reason: 'no-valid-record', detail: `A: ${a.reason}; B: ${b.reason}`, header };
  }
  if (a.valid && b.valid) {
    const distance = counterDistance(a.record.counter, b.record.counter);
    if (distance === 0 && sameRecord(a.record, b.record)) {
      return { kind: 'ok', state: stateOf(header, a.record), needsRepair: false, current: 0, slots, detail: 'both copies agree' };
    }
    if (distance === 1 || distance === ONE_BEHIND) {
      const current = distance === 1 ? 1 : 0;
      const record = current === 1 ? b.record : a.record;
      return { kind: 'ok', state: stateOf(header, record), needsRepair: true, current, slots, detail: 'the backup copy is one transaction behind' };
    }
    return { kind: 'corrupted', needsRepair: false, reason: 'conflicting-records', detail: `transactions ${a.record.counter} and ${b.record.counter} disagree`, header };
  }
  if (a.valid && !b.valid) {
    return { kind: 'ok', state: stateOf(header, a.record), needsRepair: true, current: 0, slots, detail: `copy B is invalid (${b.reason})` };
  }
  if (b.valid && !a.valid) {
    return { kind: 'ok', state: stateOf(header, b.record), needsRepair: true, current: 1, slots, detail: `copy A is invalid (${a.reason})` };
  }
  throw new Error('unreachable: slot validity cases are exhaustive');
}

export function sameState(x: LoyaltyState, y: LoyaltyState): boolean {
  return (
    x.programId === y.programId &&
    x.memberId === y.memberId &&
    x.counter === y.counter &&
    x.points === y.points &&
    x.balance === y.balance
  );
}
