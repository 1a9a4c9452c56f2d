/**
 * What a msg to the jpay-loyalty node asks for: the operation the next card session
 * applies (instead of the automatic rule), or `cancel`. Checked against the program
 * before anything is armed; every refusal names the field. Amounts are integers in minor
 * units, points are integers.
 */
import { JpayValidationError } from '../../lib/errors';
import { MAX_MEMBER_ID, type Purse } from '../../lib/mifare/loyalty';
import { VALUE_MAX } from '../../lib/mifare/value-block';
import type { LoyaltyProgram } from './loyalty-config';
import { isRecord } from '../../lib/objects';

export const LOYALTY_OPERATIONS = ['earn', 'redeem', 'pay', 'topup', 'issue', 'inquiry'] as const;
export type LoyaltyOperationName = (typeof LOYALTY_OPERATIONS)[number];

export type PendingOperation =
  /** Points for `amount` by the rule, or exactly `points`; the bank card pays. */
  | { operation: 'earn'; amount?: number; points?: number }
  /**
   * The item is paid with points: `points`, else the program's redemption. With
   * `complete: false` the points are only taken off and the bank card pays (a correction).
   */
  | { operation: 'redeem'; points?: number; complete?: false }
  /** The balance pays `amount` (default: the transaction's amount). */
  | { operation: 'pay'; amount?: number }
  /** `amount` (default: the transaction's amount) is added to the balance. */
  | { operation: 'topup'; amount?: number }
  /** Read (and repair) only. */
  | { operation: 'inquiry' }
  /** Format a blank card for member `memberId` (confirmed). */
  | { operation: 'issue'; memberId: number; points?: number; balance?: number };

export type LoyaltyInput = PendingOperation | { operation: 'cancel' };

const FIELD = 'msg.payload';

function optionalInt(p: Record<string, unknown>, key: string, min: number, max = VALUE_MAX): number | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const unit = key === 'points' ? 'points' : key === 'memberId' ? 'an id' : 'minor units (kopecks)';
    throw new JpayValidationError(`${FIELD}.${key}`, `must be a whole number ${min}..${max} (${unit})`);
  }
  return v;
}

function needPurse(program: LoyaltyProgram, purse: Purse, operation: string): void {
  if (!program.layout.purses.includes(purse)) {
    throw new JpayValidationError(`${FIELD}.operation`, `${operation} needs a ${purse} purse, and this program's cards have none`);
  }
}

function withDefined<T extends Record<string, unknown>>(base: T, extra: Record<string, number | undefined>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v;
  return out as T;
}

/**
 * `msg.payload`: `{operation, amount?, points?, memberId?, balance?, confirm?}`, or just
 * the operation's name for those that need nothing else (`inquiry`, `cancel`, …).
 */
export function parseLoyaltyInput(payload: unknown, program: LoyaltyProgram): LoyaltyInput {
  let p: Record<string, unknown>;
  if (typeof payload === 'string') p = { operation: payload.trim() };
  else if (isRecord(payload)) p = payload;
  else throw new JpayValidationError(FIELD, `must be an object {operation: ${LOYALTY_OPERATIONS.join('|')}|cancel, …}`);
  const operation = p.operation;
  if (operation === 'cancel') return { operation: 'cancel' };
  if (typeof operation !== 'string' || !(LOYALTY_OPERATIONS as readonly string[]).includes(operation)) {
    throw new JpayValidationError(`${FIELD}.operation`, `must be one of ${LOYALTY_OPERATIONS.join(', ')}, cancel`);
  }
  const { rules } = program;
  switch (operation as LoyaltyOperationName) {
    case 'earn': {
      needPurse(program, 'points', 'earn');
      const amount = optionalInt(p, 'amount', 0);
      const points = optionalInt(p, 'points', 0);
      if (amount !== undefined && points !== undefined) throw new JpayValidationError(FIELD, 'give amount or points, not both');
      return withDefined({ operation: 'earn' as const }, { amount, points });
    }
    case 'redeem': {
      needPurse(program, 'points', 'redeem');
      const points = optionalInt(p, 'points', 1);
      if (points === undefined && rules.redeemPoints === 0) {
        throw new JpayValidationError(`${FIELD}.points`, 'is required: the program has no redemption rule');
      }
      if (p.complete !== undefined && typeof p.complete !== 'boolean') {
        throw new JpayValidationError(`${FIELD}.complete`, 'must be true or false');
      }
      if (p.complete === false && points === undefined) {
        throw new JpayValidationError(`${FIELD}.points`, 'is required with complete: false');
      }
      const redeem = withDefined({ operation: 'redeem' as const }, { points });
      return p.complete === false ? { ...redeem, complete: false } : redeem;
    }
    case 'pay': {
      needPurse(program, 'balance', 'pay');
      if (!rules.storedValue) throw new JpayValidationError(`${FIELD}.operation`, 'pay: stored-value payment is off for this program');
      return withDefined({ operation: 'pay' as const }, { amount: optionalInt(p, 'amount', 1) });
    }
    case 'topup':
      needPurse(program, 'balance', 'topup');
      return withDefined({ operation: 'topup' as const }, { amount: optionalInt(p, 'amount', 1) });
    case 'inquiry':
      return { operation: 'inquiry' };
    case 'issue': {
      if (p.confirm !== true) {
        throw new JpayValidationError(`${FIELD}.confirm`, 'issue formats a blank card: it needs confirm: true');
      }
      const memberId = optionalInt(p, 'memberId', 0, MAX_MEMBER_ID);
      if (memberId === undefined) throw new JpayValidationError(`${FIELD}.memberId`, `is required: a whole number 0..${MAX_MEMBER_ID}`);
      const points = optionalInt(p, 'points', 0);
      const balance = optionalInt(p, 'balance', 0);
      if (points !== undefined && points > 0) needPurse(program, 'points', 'issue with points');
      if (balance !== undefined && balance > 0) needPurse(program, 'balance', 'issue with a balance');
      const limit = program.layout.maxBalance;
      if (balance !== undefined && balance > limit) throw new JpayValidationError(`${FIELD}.balance`, `must be at most ${limit}`);
      return withDefined({ operation: 'issue' as const, memberId }, { points, balance });
    }
  }
  throw new JpayValidationError(`${FIELD}.operation`, 'unknown operation');
}
