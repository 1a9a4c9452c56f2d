/**
 * A loyalty card is written while it is in the field, before the terminal's answer: the
 * points a purchase earns (and a balance it debits) are conditional on the transaction
 * being paid. When the transaction ends without a payment — declined, or `cancelled`
 * because the terminal ends a transaction at a card `close` without a receipt (another
 * terminal goes on to a bank card; the vendor document is silent) — what the dialogue
 * changed is owed back, and it is taken back at the card's next tap, before anything
 * else. A transaction whose outcome is unknown changes nothing here: the terminal's
 * report tells whether it was paid (see the node's help).
 */
import type { LoyaltyLayout, LoyaltyOperation, LoyaltyState } from '../mifare/loyalty';
import type { LoyaltyOperationName } from './loyalty-input';
import type { IntendedAmounts, LoyaltyPayload, PurseChange } from './loyalty-output';
import type { TransactionInfo } from './loyalty-rules';

/** What a member's card owes back, summed over unpaid transactions. */
export interface OwedEntry<T = unknown> {
  /** Signed changes still to apply to the card. */
  change: PurseChange;
  /** The operation of the (last) dialogue whose change is owed back. */
  operation: LoyaltyOperationName;
  transaction?: TransactionInfo;
  /** Whatever the caller attached to that dialogue (the node: the msg that armed it). */
  origin?: T;
}

/** A committed change given back: earned points and credits come off, redeemed points and debits go back on. */
export function reversalOf(amounts: IntendedAmounts): PurseChange {
  return { points: amounts.redeemed - amounts.earned, balance: amounts.debited - amounts.credited };
}

export function isNothing(change: PurseChange): boolean {
  return change.points === 0 && change.balance === 0;
}

/** Adds `entry` to what the member owes (a second unpaid transaction adds up). */
export function addOwed<T>(owed: Map<number, OwedEntry<T>>, memberId: number, entry: OwedEntry<T>): void {
  if (isNothing(entry.change)) return;
  const earlier = owed.get(memberId);
  const change = earlier
    ? { points: earlier.change.points + entry.change.points, balance: earlier.change.balance + entry.change.balance }
    : { ...entry.change };
  owed.set(memberId, { ...entry, change });
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

/** The report that a dialogue's committed change is owed back: its transaction was not paid. */
export function unpaidPayload(payload: LoyaltyPayload, owed: PurseChange): LoyaltyPayload {
  const out: LoyaltyPayload = { ...payload, status: 'unpaid', paid: false, owed: { ...owed } };
  delete out.error;
  return out;
}
