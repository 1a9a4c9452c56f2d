// Write plans (docs/loyalty-card.md, "Write order"). Pure and synchronous: the caller
// performs the writes in order and stops at the first one that fails.
//   operation: write the non-current slot with the new values and counter + 1 (its last
//              block is the commit point), then overwrite the old slot with the same
//              record (the backup copy). The current slot is never written before the
//              new one is complete, so a tear anywhere leaves a valid old or new copy.
//   repair:    copy the current record into the other slot (same counter).
//   issue:     header, slot A (commit point), slot B.
// Layout version 2 writes MAC'd slots (record-v2.ts) under the current key; a card still in
// version 1 (or re-keyed) is rewritten whole: the new slot, the old slot, then the version 2
// header last, so a version 2 header never stands beside a version 1 slot.

import { JpayValidationError } from '../../errors';
import type { DecodedCard, LoyaltyState, OkCard } from './decode';
import type { Header } from './header';
import { LoyaltyError } from './errors';
import { canonicalHeader, encodeHeader } from './header';
import { type LoyaltyLayout, MAX_MEMBER_ID, type Purse } from './layout';
import { type PlannedWrite, type SlotRecord, encodeSlot } from './record';
import { type CardBinding, encodeSlotV2, keyring } from './record-v2';

/** upgrade: the version 2 header, written once both slots are version 2. */
export type WritePhase = 'issue' | 'repair' | 'commit' | 'backup' | 'upgrade';

export interface LoyaltyWrite {
  block: number;
  data: Buffer;
  phase: WritePhase;
}

export interface LoyaltyPlan {
  writes: LoyaltyWrite[];
  /**
   * Index of the write whose completion commits `after`; -1 when nothing changes. A
   * failure before it leaves `before`; a failure of it leaves either (uncertain); a
   * failure after it leaves `after`.
   */
  commitIndex: number;
  before?: LoyaltyState;
  after: LoyaltyState;
}

export interface LoyaltyOperation {
  earnPoints?: number;
  redeemPoints?: number;
  /** Minor units taken from the stored-value balance. */
  debit?: number;
  /** Minor units added to the stored-value balance. */
  credit?: number;
}

export type NormalizedOperation = Required<LoyaltyOperation>;

export interface IssueRequest {
  memberId: number;
  /** Initial values; default 0. */
  points?: number;
  balance?: number;
  /**
   * The first transaction counter (default 0). A card issued again after being erased
   * continues the counter its ledger knows, so no dump from before is ever newer.
   */
  counter?: number;
}

const MAX_AMOUNT = 0x7fffffff;

function amount(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    const unit = field === 'debit' || field === 'credit' || field === 'balance' ? 'minor units' : 'points';
    throw new LoyaltyError('invalid-amount', field, `must be an integer number of ${unit} (got ${String(value)})`);
  }
  if (value < 0) throw new LoyaltyError('invalid-amount', field, `must not be negative (got ${value})`);
  if (value > MAX_AMOUNT) throw new LoyaltyError('overflow', field, `must be at most ${MAX_AMOUNT} (got ${value})`);
  return value;
}

/** The purse each amount of an operation moves, in the order the amounts are checked. */
const PURSE_OF: Readonly<Record<keyof NormalizedOperation, Purse>> = { earnPoints: 'points', redeemPoints: 'points', debit: 'balance', credit: 'balance' };
const OPERATION_FIELDS = Object.keys(PURSE_OF) as (keyof NormalizedOperation)[];

/** Checks amounts that do not depend on the card: integers, not negative, purse present. */
export function normalizeOperation(layout: LoyaltyLayout, op: LoyaltyOperation): NormalizedOperation {
  if (typeof op !== 'object' || op === null) throw new JpayValidationError('operation', 'must be an object');
  const normalized = Object.fromEntries(OPERATION_FIELDS.map((field) => [field, amount(op[field], field)])) as NormalizedOperation;
  for (const field of OPERATION_FIELDS) {
    const purse = PURSE_OF[field];
    if (normalized[field] !== 0 && !layout.purses.includes(purse)) {
      throw new LoyaltyError('no-such-purse', field, `this card layout has no ${purse} purse`);
    }
  }
  return normalized;
}

/** Throws the rule a non-`ok` card breaks; returns the card otherwise. */
export function requireOkCard(layout: LoyaltyLayout, card: DecodedCard): OkCard {
  switch (card.kind) {
    case 'ok':
      if (card.state.programId !== layout.programId) {
        throw new LoyaltyError('foreign-program', 'card', `the card belongs to program ${card.state.programId}, not ${layout.programId}`);
      }
      return card;
    case 'blank':
      throw new LoyaltyError('blank-card', 'card', 'the card is blank (not issued); issue it first');
    case 'foreign':
      if (card.reason === 'other-program') {
        throw new LoyaltyError('foreign-program', 'card', `the card belongs to ${card.detail}, not ${layout.programId}`);
      }
      throw new LoyaltyError('foreign-card', 'card', `the card is not a card of this layout (${card.reason}: ${card.detail})`);
    case 'corrupted':
      throw new LoyaltyError('corrupted-card', 'card', `the card is corrupted (${card.reason}: ${card.detail}); nothing was written`);
    case 'tampered':
      throw new LoyaltyError('tampered-card', 'card', `the card was tampered with (${card.reason}: ${card.detail}); nothing was written`);
  }
}

function recordOf(state: LoyaltyState): SlotRecord {
  return { counter: state.counter, points: state.points, balance: state.balance };
}

/** What binds a version 2 slot to its card; undefined for version 1. */
function bindingOf(layout: LoyaltyLayout, uid: string | undefined, header: Buffer): CardBinding | undefined {
  if (layout.version === 1) return undefined;
  if (uid === undefined) throw new Error('a version 2 card without its UID');
  return { uid: Buffer.from(uid, 'hex'), header };
}

function cardBinding(layout: LoyaltyLayout, card: OkCard): CardBinding | undefined {
  return layout.version === 1 ? undefined : bindingOf(layout, card.uid, canonicalHeader(requireHeader(card), 2));
}

/** A slot's blocks in the layout's format; version 2 under `keyId` (default: the current key). */
function slotWrites(layout: LoyaltyLayout, binding: CardBinding | undefined, slot: 0 | 1, record: SlotRecord, phase: WritePhase, keyId?: number): LoyaltyWrite[] {
  const writes: PlannedWrite[] =
    binding === undefined ? encodeSlot(layout, slot, record) : encodeSlotV2(layout, binding, slot, { ...record, keyId: keyId ?? keyring(layout).currentId });
  return writes.map((w) => ({ ...w, phase }));
}

function requireHeader(card: OkCard): Header {
  if (card.header === undefined) throw new Error('a version 2 card without its header');
  return card.header;
}

/** The version 2 header, when the card's is still (or partly) the version 1 one. */
function headerUpgrade(layout: LoyaltyLayout, card: OkCard): LoyaltyWrite[] {
  if (layout.version !== 2 || !card.format.headerOutdated) return [];
  return [{ block: layout.headerBlock, data: canonicalHeader(requireHeader(card), 2), phase: 'upgrade' }];
}

/**
 * Writes that leave two identical copies of the committed record in the layout's format;
 * [] when the card already has them. A card still (partly) in version 1 is upgraded: the
 * other slot, the committed slot (both under the current key), then the header.
 */
export function planRepair(layout: LoyaltyLayout, card: DecodedCard): LoyaltyWrite[] {
  const ok = requireOkCard(layout, card);
  const target = ok.current === 0 ? 1 : 0;
  const record = recordOf(ok.state);
  const binding = cardBinding(layout, ok);
  if (ok.format.legacySlots) {
    return [...slotWrites(layout, binding, target, record, 'repair'), ...slotWrites(layout, binding, ok.current, record, 'repair'), ...headerUpgrade(layout, ok)];
  }
  const copy = ok.needsRepair ? slotWrites(layout, binding, target, record, 'repair', ok.format.keyId) : [];
  return [...copy, ...headerUpgrade(layout, ok)];
}

function applyPurse(current: number | undefined, add: number, take: number, max: number, purse: Purse): number | undefined {
  if (current === undefined) return undefined;
  const next = current + add - take;
  const [takeField, addField] = purse === 'points' ? ['redeemPoints', 'earnPoints'] : ['debit', 'credit'];
  if (next < 0) {
    const code = purse === 'points' ? 'insufficient-points' : 'overdraft';
    throw new LoyaltyError(code, takeField, `${take} exceeds the ${purse} on the card (${current}${add ? ` + ${add}` : ''})`);
  }
  if (next > max) {
    throw new LoyaltyError('overflow', addField, `the ${purse} would be ${next}, above the maximum ${max}`);
  }
  return next;
}

export function planOperation(layout: LoyaltyLayout, card: DecodedCard, operation: LoyaltyOperation): LoyaltyPlan {
  const op = normalizeOperation(layout, operation);
  const ok = requireOkCard(layout, card);
  const before = ok.state;
  // Nothing to earn, redeem, debit or credit: an inquiry.
  if (Object.values(op).every((amount) => amount === 0)) return { writes: [], commitIndex: -1, before, after: before };

  const after: LoyaltyState = { ...before, counter: (before.counter + 1) % layout.counterModulo };
  const points = applyPurse(before.points, op.earnPoints, op.redeemPoints, layout.maxPoints, 'points');
  const balance = applyPurse(before.balance, op.credit, op.debit, layout.maxBalance, 'balance');
  if (points !== undefined) after.points = points;
  if (balance !== undefined) after.balance = balance;

  const target = ok.current === 0 ? 1 : 0;
  const record = recordOf(after);
  const binding = cardBinding(layout, ok);
  const commit = slotWrites(layout, binding, target, record, 'commit');
  const backup = slotWrites(layout, binding, ok.current, record, 'backup');
  return { writes: [...commit, ...backup, ...headerUpgrade(layout, ok)], commitIndex: commit.length - 1, before, after };
}

/**
 * Formats a blank card (or one whose issuance was interrupted before anything was
 * committed). Refuses anything else: a card with data is never overwritten.
 */
export function planIssue(layout: LoyaltyLayout, card: DecodedCard, request: IssueRequest): LoyaltyPlan {
  const resumable = card.kind === 'blank' || (card.kind === 'corrupted' && card.reason === 'issuance-interrupted');
  if (!resumable) {
    const what = card.kind === 'ok' ? `an issued card (member ${card.state.memberId})` : `${card.kind} (${card.reason}: ${card.detail})`;
    throw new LoyaltyError('card-not-blank', 'card', `only a blank card can be issued; this one is ${what}`);
  }
  const { memberId } = request;
  if (!Number.isInteger(memberId) || memberId < 0 || memberId > MAX_MEMBER_ID) {
    throw new LoyaltyError('invalid-member-id', 'memberId', `must be an integer 0..${MAX_MEMBER_ID} (got ${String(memberId)})`);
  }
  const counter = request.counter ?? 0;
  if (!Number.isInteger(counter) || counter < 0 || counter >= layout.counterModulo) {
    throw new JpayValidationError('counter', `must be an integer 0..${layout.counterModulo - 1}`);
  }
  const after: LoyaltyState = { programId: layout.programId, memberId, counter };
  for (const purse of ['points', 'balance'] as const) {
    const value = amount(request[purse], purse);
    if (!layout.purses.includes(purse)) {
      if (value !== 0) throw new LoyaltyError('no-such-purse', purse, `this card layout has no ${purse} purse`);
      continue;
    }
    const max = purse === 'points' ? layout.maxPoints : layout.maxBalance;
    if (value > max) throw new LoyaltyError('overflow', purse, `${value} is above the maximum ${max}`);
    after[purse] = value;
  }
  const record = recordOf(after);
  const header = encodeHeader(layout, memberId);
  const binding = bindingOf(layout, card.uid, header);
  const writes: LoyaltyWrite[] = [
    { block: layout.headerBlock, data: header, phase: 'issue' },
    ...slotWrites(layout, binding, 0, record, 'issue'),
    ...slotWrites(layout, binding, 1, record, 'issue'),
  ];
  return { writes, commitIndex: layout.purses.length, after };
}
