// Write plans (docs/loyalty-card.md, "Write order"). Pure and synchronous: the caller
// performs the writes in order and stops at the first one that fails.
//   operation: write the non-current slot with the new values and counter + 1 (its last
//              block is the commit point), then overwrite the old slot with the same
//              record (the backup copy). The current slot is never written before the
//              new one is complete, so a tear anywhere leaves a valid old or new copy.
//   repair:    copy the current record into the other slot (same counter).
//   issue:     header, slot A (commit point), slot B.

import { JpayValidationError } from '../../errors';
import type { DecodedCard, LoyaltyState, OkCard } from './decode';
import { LoyaltyError } from './errors';
import { encodeHeader } from './header';
import { type LoyaltyLayout, MAX_MEMBER_ID, type Purse } from './layout';
import { COUNTER_MODULO, type SlotRecord, encodeSlot } from './record';

export type WritePhase = 'issue' | 'repair' | 'commit' | 'backup';

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

/** Checks amounts that do not depend on the card: integers, not negative, purse present. */
export function normalizeOperation(layout: LoyaltyLayout, op: LoyaltyOperation): NormalizedOperation {
  if (typeof op !== 'object' || op === null) throw new JpayValidationError('operation', 'must be an object');
  const normalized = {
    earnPoints: amount(op.earnPoints, 'earnPoints'),
    redeemPoints: amount(op.redeemPoints, 'redeemPoints'),
    debit: amount(op.debit, 'debit'),
    credit: amount(op.credit, 'credit'),
  };
  const uses: [keyof NormalizedOperation, Purse][] = [
    ['earnPoints', 'points'],
    ['redeemPoints', 'points'],
    ['debit', 'balance'],
    ['credit', 'balance'],
  ];
  for (const [field, purse] of uses) {
    if (normalized[field] !== 0 && !layout.purses.includes(purse)) {
      throw new LoyaltyError('no-such-purse', field, `this card layout has no ${purse} purse`);
    }
  }
  return normalized;
}

export function isNoOperation(op: NormalizedOperation): boolean {
  return op.earnPoints === 0 && op.redeemPoints === 0 && op.debit === 0 && op.credit === 0;
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
  }
}

function recordOf(state: LoyaltyState): SlotRecord {
  return { counter: state.counter, points: state.points, balance: state.balance };
}

/** Writes that make the backup copy identical to the committed one; [] when it already is. */
export function planRepair(layout: LoyaltyLayout, card: DecodedCard): LoyaltyWrite[] {
  const ok = requireOkCard(layout, card);
  if (!ok.needsRepair) return [];
  const target = ok.current === 0 ? 1 : 0;
  return encodeSlot(layout, target, recordOf(ok.state)).map((w) => ({ ...w, phase: 'repair' }));
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
  if (isNoOperation(op)) return { writes: [], commitIndex: -1, before, after: before };

  const after: LoyaltyState = { ...before, counter: (before.counter + 1) % COUNTER_MODULO };
  const points = applyPurse(before.points, op.earnPoints, op.redeemPoints, layout.maxPoints, 'points');
  const balance = applyPurse(before.balance, op.credit, op.debit, layout.maxBalance, 'balance');
  if (points !== undefined) after.points = points;
  if (balance !== undefined) after.balance = balance;

  const target = ok.current === 0 ? 1 : 0;
  const record = recordOf(after);
  const commit = encodeSlot(layout, target, record).map((w): LoyaltyWrite => ({ ...w, phase: 'commit' }));
  const backup = encodeSlot(layout, ok.current, record).map((w): LoyaltyWrite => ({ ...w, phase: 'backup' }));
  return { writes: [...commit, ...backup], commitIndex: commit.length - 1, before, after };
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
  const after: LoyaltyState = { programId: layout.programId, memberId, counter: 0 };
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
  const writes: LoyaltyWrite[] = [
    { block: layout.headerBlock, data: encodeHeader(layout, memberId), phase: 'issue' },
    ...encodeSlot(layout, 0, record).map((w): LoyaltyWrite => ({ ...w, phase: 'issue' })),
    ...encodeSlot(layout, 1, record).map((w): LoyaltyWrite => ({ ...w, phase: 'issue' })),
  ];
  return { writes, commitIndex: layout.purses.length, after };
}
