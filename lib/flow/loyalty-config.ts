/**
 * The jpay-loyalty node's configuration (its edit dialog) as a card layout plus the
 * program's rules. Every refusal names the field. Amounts are integers in minor units.
 */
import { JpayValidationError } from '../errors';
import { type LoyaltyLayout, type Purse, defineLayout } from '../mifare/loyalty';
import { VALUE_MAX } from '../mifare/value-block';

export interface LoyaltyRules {
  /** Points earned per `pointsUnit` minor units paid (0 = no accrual). */
  pointsPer: number;
  /** Minor units that earn `pointsPer` points (e.g. 100 kopecks). Remainders earn nothing. */
  pointsUnit: number;
  /** Points one redemption costs (0 = redemption off). */
  redeemPoints: number;
  /** Highest price (minor units) one redemption pays; 0 = one item whatever its price. */
  redeemValue: number;
  /** The card's balance may pay a purchase (default on, as in the edit dialog). */
  storedValue: boolean;
  /** A purchase is paid with points, unasked, when the card holds enough. */
  autoRedeem: boolean;
}

export interface LoyaltyProgram {
  layout: LoyaltyLayout;
  rules: LoyaltyRules;
  /** How long an operation set on the input waits for a card (ms). */
  pendingTimeoutMs: number;
}

/** What the edit dialog stores (strings from inputs, booleans from checkboxes). */
export interface LoyaltyConfig {
  programId?: string | number;
  purses?: string;
  cardKind?: string;
  sector?: string | number;
  pointsPer?: string | number;
  pointsUnit?: string | number;
  redeemPoints?: string | number;
  redeemValue?: string | number;
  storedValue?: boolean | string;
  autoRedeem?: boolean | string;
  maxBalance?: string | number;
  pendingTimeout?: string | number;
}

export const PURSE_CHOICES = ['points', 'balance', 'both'] as const;
export const DEFAULT_PENDING_TIMEOUT_S = 120;
export const MAX_PENDING_TIMEOUT_S = 3600;
/** Far above any real rule; keeps points × amount within exact integer arithmetic. */
export const MAX_POINTS_PER = 1_000_000;

function blank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** A whole number from a dialog field; `fallback` when the field is empty. */
export function integerField(v: unknown, field: string, min: number, max: number, fallback?: number): number {
  if (blank(v)) {
    if (fallback !== undefined) return fallback;
    throw new JpayValidationError(field, 'is required');
  }
  const n = typeof v === 'string' ? (/^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new JpayValidationError(field, `must be a whole number ${min}..${max}`);
  }
  return n;
}

function flag(v: unknown): boolean {
  return v === true || v === 'true';
}

function pursesOf(v: unknown): Purse[] {
  const choice = blank(v) ? 'both' : v;
  if (choice === 'both') return ['points', 'balance'];
  if (choice === 'points' || choice === 'balance') return [choice];
  throw new JpayValidationError('purses', `must be one of ${PURSE_CHOICES.join(', ')}`);
}

export function parseLoyaltyConfig(config: LoyaltyConfig): LoyaltyProgram {
  const purses = pursesOf(config.purses);
  const cardKind = blank(config.cardKind) ? '1k' : config.cardKind;
  if (cardKind !== '1k' && cardKind !== '4k') throw new JpayValidationError('cardKind', "must be '1k' or '4k'");
  const layout = defineLayout({
    programId: integerField(config.programId, 'programId', 1, 0xffffffff),
    purses,
    cardKind,
    sector: integerField(config.sector, 'sector', 1, 39, 1),
    maxBalance: integerField(config.maxBalance, 'maxBalance', 1, VALUE_MAX, VALUE_MAX),
  });
  const points = purses.includes('points');
  const rules: LoyaltyRules = {
    pointsPer: points ? integerField(config.pointsPer, 'pointsPer', 0, MAX_POINTS_PER, 1) : 0,
    pointsUnit: integerField(config.pointsUnit, 'pointsUnit', 1, VALUE_MAX, 100),
    redeemPoints: points ? integerField(config.redeemPoints, 'redeemPoints', 0, VALUE_MAX, 0) : 0,
    redeemValue: integerField(config.redeemValue, 'redeemValue', 0, VALUE_MAX, 0),
    storedValue: purses.includes('balance') && (config.storedValue === undefined || flag(config.storedValue)),
    autoRedeem: points && flag(config.autoRedeem),
  };
  const pendingTimeoutMs = integerField(config.pendingTimeout, 'pendingTimeout', 1, MAX_PENDING_TIMEOUT_S, DEFAULT_PENDING_TIMEOUT_S) * 1000;
  return { layout, rules, pendingTimeoutMs };
}

/** Points a payment earns: ⌊amount / unit⌋ × per, exact (the driver refuses above the maximum). */
export function pointsFor(amount: number, rules: Pick<LoyaltyRules, 'pointsPer' | 'pointsUnit'>): number {
  if (!Number.isInteger(amount) || amount <= 0 || rules.pointsPer === 0) return 0;
  const earned = (BigInt(amount) / BigInt(rules.pointsUnit)) * BigInt(rules.pointsPer);
  return earned > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(earned);
}
