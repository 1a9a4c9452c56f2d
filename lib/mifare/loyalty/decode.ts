// Classify what was read from a card (docs/loyalty-card.md, "Reading a card"). Pure.

import { JpayValidationError } from '../../errors';
import { BLOCK_SIZE } from '../geometry';
import { MANUFACTURER_BLOCK, uidFromManufacturerBlock } from '../manufacturer';
import { type Header, canonicalHeader, decodeHeader, purseFlags } from './header';
import { type LayoutVersion, type LoyaltyLayout, dataBlocks } from './layout';
import { type SlotRecord, type SlotStatus, counterDistance, decodeSlot, sameRecord } from './record';
import { type CardBinding, type V2Record, type V2SlotStatus, decodeSlotV2 } from './record-v2';

export interface LoyaltyState {
  programId: number;
  memberId: number;
  /** Committed operations since issuance, modulo the layout's counterModulo (256 or 65536). */
  counter: number;
  /** Present when the layout has a points purse. */
  points?: number;
  /** Minor units; present when the layout has a balance purse. */
  balance?: number;
}

export type ForeignReason = 'not-ours' | 'unsupported-version' | 'other-purses' | 'other-program';
export type CorruptedReason = 'bad-header' | 'no-valid-record' | 'conflicting-records' | 'issuance-interrupted';
/**
 * bad-mac             a whole version 2 slot whose MAC does not verify: forged values, a
 *                     header pasted from another card, a dump copied to another UID, a
 *                     flipped bit in a MAC;
 * unknown-key         a whole slot under a key id this program does not have;
 * conflicting-records both slots verify but cannot come from one card's history (the
 *                     slots of two dumps put together).
 */
export type TamperReason = 'bad-mac' | 'unknown-key' | 'conflicting-records';

/** What a version 2 program knows about the card's format. */
export interface CardFormat {
  /** The format of the committed record: 1 until the card is upgraded. */
  version: LayoutVersion;
  /** Some block is still in version 1 (the header or a slot): the next write upgrades the card. */
  needsUpgrade: boolean;
  /** A slot still holds a version 1 record. */
  legacySlots: boolean;
  /** The header is not (exactly) the version 2 one. */
  headerOutdated: boolean;
  /** The key id of the committed record (version 2). */
  keyId?: number;
}

function cardFormat(version: LayoutVersion, legacySlots: boolean, headerOutdated: boolean, keyId?: number): CardFormat {
  const format: CardFormat = { version, needsUpgrade: legacySlots || headerOutdated, legacySlots, headerOutdated };
  if (keyId !== undefined) format.keyId = keyId;
  return format;
}

export interface OkCard {
  kind: 'ok';
  state: LoyaltyState;
  /** The two slots are not identical copies: planRepair restores the backup copy. */
  needsRepair: boolean;
  /** The slot holding the committed state (0 = A, 1 = B; A when both are identical). */
  current: 0 | 1;
  slots: readonly [SlotStatus, SlotStatus];
  detail: string;
  /** Layout version 2: the card's UID (upper-case hex), its format, its binding for MACs. */
  uid?: string;
  format: CardFormat;
  header?: Header;
}

export type DecodedCard =
  | { kind: 'blank'; needsRepair: false; detail: string; uid?: string }
  | { kind: 'foreign'; needsRepair: false; reason: ForeignReason; detail: string; programId?: number; uid?: string }
  | { kind: 'corrupted'; needsRepair: false; reason: CorruptedReason; detail: string; header?: Header; uid?: string }
  | { kind: 'tampered'; needsRepair: false; reason: TamperReason; detail: string; header: Header; uid: string }
  | OkCard;

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

interface Read {
  header: Buffer;
  slots: readonly [Buffer[], Buffer[]];
  uid?: string;
}

function readLayout(layout: LoyaltyLayout, blocks: ReadonlyMap<number, Buffer>): Read {
  const slots = [layout.slots[0].map((b) => blockOf(blocks, b)), layout.slots[1].map((b) => blockOf(blocks, b))] as const;
  const read: Read = { header: blockOf(blocks, layout.headerBlock), slots };
  if (layout.version === 2) read.uid = uidFromManufacturerBlock(blockOf(blocks, MANUFACTURER_BLOCK)).toString('hex').toUpperCase();
  return read;
}

type Early = Extract<DecodedCard, { kind: 'blank' | 'foreign' | 'corrupted' }>;

/** What every version checks first: blank, magic, header integrity, purses and program. */
function checkHeader(layout: LoyaltyLayout, read: Read, interrupted: boolean): Early | { header: Header; exact: boolean } {
  const uid = read.uid !== undefined ? { uid: read.uid } : {};
  const decoded = decodeHeader(read.header);
  if (decoded.status === 'no-magic') {
    const detail = isZero(read.header) ? 'the header block is empty but the other blocks hold data' : 'no JPLY magic in the header block';
    return { kind: 'foreign', needsRepair: false, reason: 'not-ours', detail, ...uid };
  }
  if (decoded.status === 'bad-crc') {
    return interrupted
      ? { kind: 'corrupted', needsRepair: false, reason: 'issuance-interrupted', detail: 'the header is torn and no record was written', ...uid }
      : { kind: 'corrupted', needsRepair: false, reason: 'bad-header', detail: 'header CRC mismatch', ...uid };
  }
  const { header } = decoded;
  const versionOk = layout.version === 2 ? header.version === 1 || header.version === 2 : decoded.status === 'ok' && header.version === 1;
  if (!versionOk) {
    return { kind: 'foreign', needsRepair: false, reason: 'unsupported-version', detail: `layout version ${header.version}`, programId: header.programId, ...uid };
  }
  if (header.flags !== purseFlags(layout.purses)) {
    return { kind: 'foreign', needsRepair: false, reason: 'other-purses', detail: `purse flags ${header.flags}`, programId: header.programId, ...uid };
  }
  if (header.programId !== layout.programId) {
    return { kind: 'foreign', needsRepair: false, reason: 'other-program', detail: `program ${header.programId}`, programId: header.programId, ...uid };
  }
  return { header, exact: decoded.status === 'ok' && header.version === layout.version };
}

/** The two slots as one card (both versions): which slot is committed, or why none can be. */
function judgeSlots(a: SlotRecord | undefined, b: SlotRecord | undefined, modulo: number): { current: 0 | 1; needsRepair: boolean; detail: string } | 'none' | 'conflict' {
  if (a === undefined && b === undefined) return 'none';
  if (a !== undefined && b !== undefined) {
    const distance = counterDistance(a.counter, b.counter, modulo);
    if (distance === 0 && sameRecord(a, b)) return { current: 0, needsRepair: false, detail: 'both copies agree' };
    // modulo - 1 = (g - (g + 1)) mod m: b is one transaction behind a.
    if (distance === 1 || distance === modulo - 1) {
      return { current: distance === 1 ? 1 : 0, needsRepair: true, detail: 'the backup copy is one transaction behind' };
    }
    return 'conflict';
  }
  return a !== undefined ? { current: 0, needsRepair: true, detail: 'copy B is invalid' } : { current: 1, needsRepair: true, detail: 'copy A is invalid' };
}

function decodeV1(layout: LoyaltyLayout, read: Read): DecodedCard {
  const slots = [decodeSlot(layout, read.slots[0]), decodeSlot(layout, read.slots[1])] as const;
  const [a, b] = slots;
  // Issuance writes header, slot A, slot B: with B never written there was never a commit.
  const interrupted = !a.valid && !b.valid && b.blank;
  const checked = checkHeader(layout, read, interrupted);
  if ('kind' in checked) return checked;
  const { header } = checked;
  const judged = judgeSlots(a.valid ? a.record : undefined, b.valid ? b.record : undefined, layout.counterModulo);
  if (judged === 'none') {
    return interrupted
      ? { kind: 'corrupted', needsRepair: false, reason: 'issuance-interrupted', detail: 'no record was ever committed', header }
      : { kind: 'corrupted', needsRepair: false, reason: 'no-valid-record', detail: `A: ${reasonOf(a)}; B: ${reasonOf(b)}`, header };
  }
  if (judged === 'conflict') {
    const [ra, rb] = [a, b].map((s) => (s.valid ? s.record.counter : -1));
    return { kind: 'corrupted', needsRepair: false, reason: 'conflicting-records', detail: `transactions ${ra} and ${rb} disagree`, header };
  }
  const record = judged.current === 0 ? (a as Extract<SlotStatus, { valid: true }>).record : (b as Extract<SlotStatus, { valid: true }>).record;
  const invalid = [a, b].find((s): s is Extract<SlotStatus, { valid: false }> => !s.valid);
  const detail = invalid ? `${judged.detail} (${invalid.reason})` : judged.detail;
  return { kind: 'ok', state: stateOf(header, record), ...judged, detail, slots, format: cardFormat(1, false, false), header };
}

function reasonOf(s: SlotStatus): string {
  return s.valid ? 'valid' : s.reason;
}

/** One slot of a version 2 program: a version 2 record, a version 1 one (before its upgrade), or neither. */
interface Slot2 {
  v2: V2SlotStatus;
  legacy?: SlotRecord;
}

function asSlotStatus(s: Slot2): SlotStatus {
  if (s.v2.kind === 'valid') return { valid: true, record: s.v2.record };
  if (s.legacy !== undefined) return { valid: true, record: s.legacy };
  return { valid: false, reason: s.v2.reason, blank: s.v2.kind === 'torn' && s.v2.blank };
}

const LETTER = ['A', 'B'] as const;

/** Every block of the slot has the version 2 frame (t … ~t ~t), whatever its MAC. */
function isFramed(blocks: readonly Buffer[]): boolean {
  return blocks.every((b) => b[14] === (~b[0] & 0xff) && b[15] === b[14]);
}

/**
 * The committed slot of a card with at least one version 2 record. A version 1 record
 * beside it is the other copy of a torn upgrade: it holds the same state, or the one just
 * before (the version 2 counter continues the version 1 one, compared mod 256).
 */
function judgeV2(layout: LoyaltyLayout, v2: readonly (V2Record | undefined)[], legacy: readonly (SlotRecord | undefined)[]): ReturnType<typeof judgeSlots> {
  const [a, b] = v2;
  if (a !== undefined && b !== undefined) return judgeSlots(a, b, layout.counterModulo);
  const i = a !== undefined ? 0 : 1;
  const record = v2[i] as V2Record;
  const old = legacy[1 - i];
  if (old === undefined) return { current: i, needsRepair: true, detail: `copy ${LETTER[1 - i]} is invalid` };
  const distance = counterDistance(old.counter, record.counter % 256, 256);
  const sameValues = old.points === record.points && old.balance === record.balance;
  if ((distance === 0 && sameValues) || distance === 1) {
    return { current: i, needsRepair: true, detail: `copy ${LETTER[1 - i]} is still in layout version 1 (an interrupted upgrade)` };
  }
  return 'conflict';
}

function decodeV2(layout: LoyaltyLayout, read: Read): DecodedCard {
  const uid = read.uid as string;
  // Issuance writes header, slot A, slot B: with B blank and A not whole, nothing was committed.
  const interrupted = read.slots[1].every(isZero) && !isFramed(read.slots[0]);
  const checked = checkHeader(layout, read, interrupted);
  if ('kind' in checked) return checked;
  const { header } = checked;
  const binding: CardBinding = { uid: Buffer.from(uid, 'hex'), header: canonicalHeader(header, 2) };
  const slots = ([0, 1] as const).map((slot): Slot2 => {
    const v2 = decodeSlotV2(layout, binding, slot, read.slots[slot]);
    const legacy = v2.kind === 'torn' ? decodeSlot(layout, read.slots[slot]) : undefined;
    return legacy?.valid ? { v2, legacy: legacy.record } : { v2 };
  });
  const tampered = (reason: TamperReason, detail: string): DecodedCard => ({ kind: 'tampered', needsRepair: false, reason, detail, header, uid });
  const forged = slots.findIndex((s) => s.v2.kind === 'forged');
  if (forged >= 0) {
    const f = slots[forged].v2 as Extract<V2SlotStatus, { kind: 'forged' }>;
    const what = f.reason === 'unknown-key' ? `is under key id ${f.keyId}, which this program does not have` : 'has a MAC that does not verify';
    return tampered(f.reason, `slot ${LETTER[forged]} (transaction ${f.counter}) ${what}`);
  }
  const v2 = slots.map((s) => (s.v2.kind === 'valid' ? s.v2.record : undefined));
  const legacy = slots.map((s) => s.legacy);
  const statuses = [asSlotStatus(slots[0]), asSlotStatus(slots[1])] as const;

  if (v2.some((r) => r !== undefined)) {
    const judged = judgeV2(layout, v2, legacy);
    if (judged === 'conflict') return tampered('conflicting-records', "the two copies verify but do not belong to one card's history");
    if (judged === 'none') throw new Error('unreachable: a version 2 record was found');
    const record = v2[judged.current] as V2Record;
    const format = cardFormat(2, legacy.some((r) => r !== undefined), !checked.exact, record.keyId);
    return { kind: 'ok', state: stateOf(header, record), ...judged, slots: statuses, uid, format, header };
  }

  const anyLegacy = legacy.some((r) => r !== undefined);
  if (anyLegacy && header.version === 1) {
    if (!layout.upgradeV1) {
      return { kind: 'foreign', needsRepair: false, reason: 'unsupported-version', detail: 'layout version 1 (upgrading is off)', programId: header.programId, uid };
    }
    const judged = judgeSlots(legacy[0], legacy[1], 256);
    if (judged === 'conflict') return { kind: 'corrupted', needsRepair: false, reason: 'conflicting-records', detail: 'the two version 1 copies disagree', header, uid };
    if (judged !== 'none') {
      const record = legacy[judged.current] as SlotRecord;
      return { kind: 'ok', state: stateOf(header, record), ...judged, slots: statuses, uid, format: cardFormat(1, true, true), header };
    }
  }
  const reasons = slots.map((s) => (s.v2.kind === 'torn' ? s.v2.reason : s.v2.kind));
  return interrupted && !anyLegacy
    ? { kind: 'corrupted', needsRepair: false, reason: 'issuance-interrupted', detail: 'no record was ever committed', header, uid }
    : { kind: 'corrupted', needsRepair: false, reason: 'no-valid-record', detail: `A: ${reasons[0]}; B: ${reasons[1]}`, header, uid };
}

/**
 * `blocks` maps each block of planRead(layout) to the 16 bytes read from it. With layout
 * version 2, block 0 gives the UID every MAC is checked against.
 */
export function decodeCard(layout: LoyaltyLayout, blocks: ReadonlyMap<number, Buffer>): DecodedCard {
  const read = readLayout(layout, blocks);
  if (dataBlocks(layout).every((b) => isZero(blockOf(blocks, b)))) {
    return { kind: 'blank', needsRepair: false, detail: 'all data blocks are zero', ...(read.uid !== undefined ? { uid: read.uid } : {}) };
  }
  return layout.version === 2 ? decodeV2(layout, read) : decodeV1(layout, read);
}

export function sameState(x: LoyaltyState, y: LoyaltyState): boolean {
  return x.programId === y.programId && x.memberId === y.memberId && sameRecord(x, y);
}
