/**
 * A loyalty card is written while it is in the field, before the terminal's answer: the
 * points a purchase earns (and a balance it debits) are conditional on the transaction
 * being paid. When the transaction ends without a payment — declined, or `cancelled`
 * because the terminal ends a transaction at a card `close` without a receipt (another
 * terminal goes on to a bank card; the vendor document is silent) — what the card session
 * changed is owed back, and it is taken back at the card's next tap, before anything
 * else. A transaction whose outcome is unknown changes nothing here: the terminal's
 * report tells whether it was paid (see the node's help).
 *
 * What cards owe is kept per card in an OwedBook: in memory (layout version 1), or in the
 * shadow ledger (version 2: durable, keyed by UID), where a take-back being written is
 * recorded first, so that a machine stopping mid-way never takes it back twice.
 */
import { type CardRecord, type OwedChange, type OwedRecord, type ShadowLedger, cardRecordOf } from '../../lib/mifare/ledger';
import type { LoyaltyLayout, LoyaltyOperation, LoyaltyState } from '../../lib/mifare/loyalty';
import { LOYALTY_OPERATIONS, type LoyaltyOperationName } from './loyalty-input';
import type { IntendedAmounts, LoyaltyPayload, PurseChange } from './loyalty-output';
import type { TransactionInfo } from './loyalty-rules';

/** A card as the node keys its state: by UID when it is known (layout version 2), else by member. */
export type CardKey = string;

export function cardKey(uid: string | undefined, memberId: number): CardKey {
  return uid !== undefined ? `uid:${uid}` : `member:${memberId}`;
}

function uidOf(key: CardKey): string | undefined {
  return key.startsWith('uid:') ? key.slice(4) : undefined;
}

/** What a member's card owes back, summed over unpaid transactions. */
export interface OwedEntry<T = unknown> {
  /** Signed changes still to apply to the card. */
  change: PurseChange;
  /** The operation of the (last) card session whose change is owed back. */
  operation: LoyaltyOperationName;
  transaction?: TransactionInfo;
  /** Whatever the caller attached to that card session (the node: the msg that armed it). */
  origin?: T;
}

/** A committed change given back: earned points and credits come off, redeemed points and debits go back on. */
export function reversalOf(amounts: IntendedAmounts): PurseChange {
  return { points: amounts.redeemed - amounts.earned, balance: amounts.debited - amounts.credited };
}

export function isNothing(change: PurseChange): boolean {
  return change.points === 0 && change.balance === 0;
}

/** `entry` added to what the card already owes (a second unpaid transaction adds up). */
function sum<T>(earlier: OwedEntry<T> | undefined, entry: OwedEntry<T>): OwedEntry<T> {
  const change = earlier
    ? { points: earlier.change.points + entry.change.points, balance: earlier.change.balance + entry.change.balance }
    : { ...entry.change };
  return { ...entry, change };
}

/** A take-back being written: the card held `before`, the write aims at `intended`. */
export interface PendingTakeBack {
  before: LoyaltyState;
  intended: LoyaltyState;
}

/** What each card owes back (see the file comment). */
export interface OwedBook<T> {
  get(key: CardKey): OwedEntry<T> | undefined;
  entries(): [CardKey, OwedEntry<T>][];
  /** Adds to what the card owes. */
  add(key: CardKey, entry: OwedEntry<T>): Promise<void>;
  /** Before the take-back of what the card owes is written: from now on, it is owed again only as `settle` says. */
  begin(key: CardKey, pending: PendingTakeBack): Promise<void>;
  /** The take-back's result: owed again (`restores`) when it did not land; done otherwise. */
  settle(key: CardKey, result: 'committed' | 'not-committed' | 'unknown', restores: OwedEntry<T>): Promise<void>;
  /** Take-backs a stopped machine left unsettled (a durable book): settled at the card's next tap. */
  unsettled(): { key: CardKey; pending: PendingTakeBack; restores: OwedEntry<T> }[];
}

/** Layout version 1: what cards owe, in memory (lost with the process). */
export class MemoryOwedBook<T> implements OwedBook<T> {
  readonly #owed = new Map<CardKey, OwedEntry<T>>();

  get(key: CardKey): OwedEntry<T> | undefined {
    return this.#owed.get(key);
  }

  entries(): [CardKey, OwedEntry<T>][] {
    return [...this.#owed];
  }

  add(key: CardKey, entry: OwedEntry<T>): Promise<void> {
    if (!isNothing(entry.change)) this.#owed.set(key, sum(this.#owed.get(key), entry));
    return Promise.resolve();
  }

  begin(key: CardKey): Promise<void> {
    this.#owed.delete(key);
    return Promise.resolve();
  }

  settle(key: CardKey, result: 'committed' | 'not-committed' | 'unknown', restores: OwedEntry<T>): Promise<void> {
    return result === 'not-committed' ? this.add(key, restores) : Promise.resolve();
  }

  unsettled(): [] {
    return [];
  }
}

function operationName(name: string): LoyaltyOperationName {
  return (LOYALTY_OPERATIONS as readonly string[]).includes(name) ? (name as LoyaltyOperationName) : 'inquiry';
}

function toChange<T>(entry: OwedEntry<T>): OwedChange {
  const change: OwedChange = { points: entry.change.points, balance: entry.change.balance, operation: entry.operation };
  if (entry.transaction) change.transaction = { ...entry.transaction };
  return change;
}

function fromChange<T>(change: OwedChange, origin: T | undefined): OwedEntry<T> {
  const entry: OwedEntry<T> = { change: { points: change.points, balance: change.balance }, operation: operationName(change.operation) };
  if (change.transaction) entry.transaction = { ...change.transaction };
  if (origin !== undefined) entry.origin = origin;
  return entry;
}

function loyaltyState(programId: number, r: CardRecord): LoyaltyState {
  return { programId, ...r };
}

/**
 * Layout version 2: what cards owe, in the shadow ledger (durable, keyed by UID). The
 * msg each entry came from (`origin`) is kept in memory only.
 */
export class LedgerOwedBook<T> implements OwedBook<T> {
  readonly #origins = new Map<CardKey, T>();

  constructor(
    private readonly ledger: ShadowLedger,
    private readonly programId: number,
  ) {}

  #record(key: CardKey): OwedRecord | undefined {
    const uid = uidOf(key);
    return uid === undefined ? undefined : this.ledger.get(uid)?.owed;
  }

  get(key: CardKey): OwedEntry<T> | undefined {
    const owed = this.#record(key);
    if (owed === undefined || (owed.points === 0 && owed.balance === 0)) return undefined;
    return fromChange(owed, this.#origins.get(key));
  }

  entries(): [CardKey, OwedEntry<T>][] {
    const out: [CardKey, OwedEntry<T>][] = [];
    for (const e of this.ledger.entries()) {
      const key = cardKey(e.uid, e.memberId);
      const entry = this.get(key);
      if (entry) out.push([key, entry]);
    }
    return out;
  }

  async #write(key: CardKey, owed: OwedRecord | undefined): Promise<void> {
    const uid = uidOf(key);
    if (uid === undefined) throw new Error(`the ledger keeps cards by UID, not ${key}`);
    const nothing = owed === undefined || (owed.points === 0 && owed.balance === 0 && owed.pending === undefined);
    await this.ledger.setOwed(uid, nothing ? undefined : owed);
  }

  async add(key: CardKey, entry: OwedEntry<T>): Promise<void> {
    if (isNothing(entry.change)) return;
    const current = this.#record(key);
    const total = sum(current && (current.points !== 0 || current.balance !== 0) ? fromChange<T>(current, undefined) : undefined, entry);
    const owed: OwedRecord = toChange(total);
    if (current?.pending) owed.pending = current.pending;
    await this.#write(key, owed);
    if (entry.origin !== undefined) this.#origins.set(key, entry.origin);
  }

  async begin(key: CardKey, pending: PendingTakeBack): Promise<void> {
    const current = this.#record(key);
    if (current === undefined) return;
    const restores: OwedChange = { points: current.points, balance: current.balance, operation: current.operation };
    if (current.transaction) restores.transaction = current.transaction;
    await this.#write(key, { points: 0, balance: 0, operation: current.operation, pending: { before: cardRecordOf(pending.before), intended: cardRecordOf(pending.intended), restores } });
  }

  async settle(key: CardKey, result: 'committed' | 'not-committed' | 'unknown', restores: OwedEntry<T>): Promise<void> {
    const current = this.#record(key);
    const owed: OwedRecord = current ? { points: current.points, balance: current.balance, operation: current.operation } : { points: 0, balance: 0, operation: restores.operation };
    if (current?.transaction) owed.transaction = current.transaction;
    const after = result === 'not-committed' ? toChange(sum(owed.points !== 0 || owed.balance !== 0 ? fromChange<T>(owed, undefined) : undefined, restores)) : owed;
    await this.#write(key, after);
  }

  unsettled(): { key: CardKey; pending: PendingTakeBack; restores: OwedEntry<T> }[] {
    const out: { key: CardKey; pending: PendingTakeBack; restores: OwedEntry<T> }[] = [];
    for (const e of this.ledger.entries()) {
      const p = e.owed?.pending;
      if (p === undefined) continue;
      const key = cardKey(e.uid, e.memberId);
      out.push({
        key,
        pending: { before: loyaltyState(this.programId, p.before), intended: loyaltyState(this.programId, p.intended) },
        restores: fromChange(p.restores, this.#origins.get(key)),
      });
    }
    return out;
  }
}

/** One purse: the operation amount that applies `delta` within [0, max], and what cannot be applied. */
function clamp(delta: number, current: number | undefined, max: number): { take: number; give: number; short: number } {
  if (current === undefined || delta === 0) return { take: 0, give: 0, short: delta };
  if (delta < 0) {
    const take = Math.min(-delta, current);
    return { take, give: 0, short: delta + take };
  }
  const give = Math.min(delta, Math.max(0, max - current));
  return { take: 0, give, short: delta - give };
}

/**
 * The operation that gives back `change` on a card holding `state`, never refused by a
 * purse rule: what the card can no longer give (points spent since) is the shortfall.
 */
export function compensationOperation(layout: LoyaltyLayout, state: LoyaltyState, change: PurseChange): { operation: LoyaltyOperation; shortfall: PurseChange } {
  const points = clamp(change.points, state.points, layout.maxPoints);
  const balance = clamp(change.balance, state.balance, layout.maxBalance);
  const operation: LoyaltyOperation = {};
  if (points.take > 0) operation.redeemPoints = points.take;
  if (points.give > 0) operation.earnPoints = points.give;
  if (balance.take > 0) operation.debit = balance.take;
  if (balance.give > 0) operation.credit = balance.give;
  return { operation, shortfall: { points: points.short, balance: balance.short } };
}

/** The report that a card session's committed change is owed back: its transaction was not paid. */
export function unpaidPayload(payload: LoyaltyPayload, owed: PurseChange): LoyaltyPayload {
  const out: LoyaltyPayload = { ...payload, status: 'unpaid', paid: false, owed: { ...owed } };
  delete out.error;
  return out;
}
