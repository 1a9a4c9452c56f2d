/**
 * Which operation a card session applies, from the operation set on the node's input
 * (if any), the transaction that brought the card into the field, and what the card holds.
 * Pure. The automatic rule for a purchase of amount A, first match wins:
 *   1. auto-redeem on, the card holds ≥ N points and A ≤ the redemption value (or the
 *      value is 0): N points pay the item — the card completes the transaction;
 *   2. stored-value payment on and balance ≥ A: the balance pays A and the card earns the
 *      points for A — the card completes the transaction;
 *   3. the card has a points purse: it earns the points for A, and the bank card pays;
 *   4. otherwise: read (and repair) only, and the bank card pays.
 * Any other transaction (refund, void…) or an unknown amount: read (and repair) only.
 */
import { JpayValidationError } from '../../lib/errors';
import type { LoyaltyOperation, LoyaltyState } from '../../lib/mifare/loyalty';
import { type LoyaltyProgram, pointsFor } from './loyalty-config';
import type { LoyaltyOperationName, PendingOperation } from './loyalty-input';

/** The transaction a card session belongs to, as the node knows it. */
export interface TransactionInfo {
  type: string;
  /** Minor units. */
  amount?: number;
  /** The jpay-transaction node and the `_msgid` that started it. */
  nodeId?: string;
  msgid?: string;
}

export type CardSessionOperation = Exclude<LoyaltyOperationName, 'issue'>;

export type LoyaltyRuleCode = 'no-amount' | 'price-above-redeem-value';

/** A program rule refused the operation before anything was planned. */
export class LoyaltyRuleError extends JpayValidationError {
  readonly code: LoyaltyRuleCode;
  constructor(code: LoyaltyRuleCode, field: string, detail: string) {
    super(field, `${code}: ${detail}`);
    this.code = code;
  }
}

export interface Decision {
  operation: CardSessionOperation;
  /** `input`: set on the node's input; `auto`: the automatic rule. */
  source: 'input' | 'auto';
  change: LoyaltyOperation;
  /** When committed, the card pays: the card session closes with an approved receipt. */
  completes: boolean;
  refusal?: LoyaltyRuleError;
}

function purchaseAmount(tx: TransactionInfo | undefined): number | undefined {
  return tx?.type === 'purchase' && typeof tx.amount === 'number' && tx.amount > 0 ? tx.amount : undefined;
}

function earnOn(program: LoyaltyProgram, amount: number): LoyaltyOperation {
  const points = program.layout.purses.includes('points') ? pointsFor(amount, program.rules) : 0;
  return points > 0 ? { earnPoints: points } : {};
}

function redeemCovers(program: LoyaltyProgram, price: number | undefined): boolean {
  const value = program.rules.redeemValue;
  return value === 0 || price === undefined || price <= value;
}

function fromInput(program: LoyaltyProgram, op: Exclude<PendingOperation, { operation: 'issue' }>, tx: TransactionInfo | undefined): Decision {
  const amount = tx?.amount !== undefined && tx.amount > 0 ? tx.amount : undefined;
  const base = { operation: op.operation, source: 'input' as const };
  switch (op.operation) {
    case 'earn': {
      const change = op.points !== undefined ? { earnPoints: op.points } : earnOn(program, op.amount ?? amount ?? 0);
      return { ...base, change, completes: false };
    }
    case 'redeem': {
      if (op.points !== undefined) return { ...base, change: { redeemPoints: op.points }, completes: op.complete !== false };
      const decision: Decision = { ...base, change: { redeemPoints: program.rules.redeemPoints }, completes: true };
      if (!redeemCovers(program, amount)) {
        decision.refusal = new LoyaltyRuleError(
          'price-above-redeem-value',
          'amount',
          `${amount ?? 0} is above what ${program.rules.redeemPoints} points pay (${program.rules.redeemValue})`,
        );
      }
      return decision;
    }
    case 'pay': {
      const debit = op.amount ?? amount;
      if (debit === undefined) {
        return { ...base, change: {}, completes: true, refusal: new LoyaltyRuleError('no-amount', 'amount', 'pay needs an amount (msg.payload.amount or the transaction)') };
      }
      return { ...base, change: { debit, ...earnOn(program, debit) }, completes: true };
    }
    case 'topup': {
      const credit = op.amount ?? amount;
      if (credit === undefined) {
        return { ...base, change: {}, completes: true, refusal: new LoyaltyRuleError('no-amount', 'amount', 'topup needs an amount (msg.payload.amount or the transaction)') };
      }
      return { ...base, change: { credit }, completes: true };
    }
    case 'inquiry':
      return { ...base, change: {}, completes: false };
  }
}

function automatic(program: LoyaltyProgram, state: LoyaltyState, tx: TransactionInfo | undefined): Decision {
  const price = purchaseAmount(tx);
  const auto = { source: 'auto' as const };
  if (price === undefined) return { ...auto, operation: 'inquiry', change: {}, completes: false };
  const { rules } = program;
  const points = state.points ?? 0;
  if (rules.autoRedeem && rules.redeemPoints > 0 && points >= rules.redeemPoints && redeemCovers(program, price)) {
    return { ...auto, operation: 'redeem', change: { redeemPoints: rules.redeemPoints }, completes: true };
  }
  if (rules.storedValue && state.balance !== undefined && state.balance >= price) {
    return { ...auto, operation: 'pay', change: { debit: price, ...earnOn(program, price) }, completes: true };
  }
  if (state.points !== undefined) return { ...auto, operation: 'earn', change: earnOn(program, price), completes: false };
  return { ...auto, operation: 'inquiry', change: {}, completes: false };
}

/** The operation for a card of this program holding `state`. */
export function decideOperation(
  program: LoyaltyProgram,
  state: LoyaltyState,
  pending: Exclude<PendingOperation, { operation: 'issue' }> | undefined,
  tx: TransactionInfo | undefined,
): Decision {
  return pending !== undefined ? fromInput(program, pending, tx) : automatic(program, state, tx);
}
