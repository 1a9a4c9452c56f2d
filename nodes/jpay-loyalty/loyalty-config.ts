/**
 * The jpay-loyalty node's configuration (its edit dialog and its credentials) as a card
 * layout plus the program's rules and, with layout version 2, its keys and its shadow
 * ledger. Every refusal names the field, never a key's value. Amounts are integers in
 * minor units.
 */
import path from 'node:path';
import { JpayValidationError } from '../../lib/errors';
import { UNKNOWN_CARD_POLICIES, type UnknownCardPolicy } from '../../lib/mifare/ledger';
import { type LoyaltyLayout, type Purse, LoyaltyKeyring, MAX_KEY_ID, MIN_KEY_ID, defineLayout, parseKeyList } from '../../lib/mifare/loyalty';
import { VALUE_MAX } from '../../lib/mifare/value-block';

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

/** Where and how the shadow ledger of a layout version 2 program runs. */
export interface LedgerConfig {
  file: string;
  /** This machine's name in the records it makes (empty: the host name). */
  origin?: string;
  unknownCards: UnknownCardPolicy;
  /** Minor units an unknown card may spend here under the `limit` policy. */
  unknownCardLimit: number;
  /** MQTT topic prefix of the replicated records (with a broker). */
  topicPrefix: string;
}

export interface LoyaltyProgram {
  layout: LoyaltyLayout;
  rules: LoyaltyRules;
  /** How long an operation set on the input waits for a card (ms). */
  pendingTimeoutMs: number;
  /** Layout version 2 only: the shadow ledger. */
  ledger?: LedgerConfig;
}

/** The node's credentials (type password): the program key, and older keys as `id:hex` entries. */
export interface LoyaltyCredentials {
  key?: string;
  previousKeys?: string;
}

/** Where the node runs: the default ledger file goes to `<userDir>/jpay/`. */
export interface LoyaltyWhere {
  userDir?: string;
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
  /** 1 (value blocks, no keys; the default of nodes saved before version 2) or 2 (keyed MACs). */
  layoutVersion?: string | number;
  /** The key id of the current key (1..254), written on the cards. */
  keyId?: string | number;
  /** Layout version 2: upgrade version 1 cards at their tap. */
  upgradeV1?: boolean | string;
  /** accept | refuse | limit: what to do with a card the ledger has never seen. */
  unknownCards?: string;
  unknownLimit?: string | number;
  /** The ledger file; empty: `<userDir>/jpay/loyalty-ledger-<program id>.jsonl`. */
  ledgerFile?: string;
  /** This machine's name in the ledger (empty: the host name). */
  machine?: string;
  /** Topic prefix of the replicated ledger (default jpay/ledger). */
  ledgerTopic?: string;
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

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

/** Layout version 2's keys from the credentials. */
function keyringOf(config: LoyaltyConfig, credentials: LoyaltyCredentials): LoyaltyKeyring {
  const key = text(credentials.key);
  if (key === '') throw new JpayValidationError('key', 'is required for layout version 2: the program key (32 or 64 hex digits), a credential');
  const keyId = integerField(config.keyId, 'keyId', MIN_KEY_ID, MAX_KEY_ID, 1);
  return new LoyaltyKeyring({ id: keyId, key }, parseKeyList(text(credentials.previousKeys), 'previousKeys'));
}

function ledgerOf(config: LoyaltyConfig, programId: number, where: LoyaltyWhere): LedgerConfig {
  const policy = blank(config.unknownCards) ? 'accept' : config.unknownCards;
  if (!(UNKNOWN_CARD_POLICIES as readonly unknown[]).includes(policy)) {
    throw new JpayValidationError('unknownCards', `must be one of ${UNKNOWN_CARD_POLICIES.join(', ')}`);
  }
  const unknownCards = policy as UnknownCardPolicy;
  const unknownCardLimit = unknownCards === 'limit' ? integerField(config.unknownLimit, 'unknownLimit', 0, VALUE_MAX) : 0;
  const base = where.userDir ?? process.cwd();
  const given = text(config.ledgerFile);
  const file = given === '' ? path.join(base, 'jpay', `loyalty-ledger-${programId}.jsonl`) : path.resolve(base, given);
  const topicPrefix = text(config.ledgerTopic) || 'jpay/ledger';
  if (/[#+]/.test(topicPrefix) || topicPrefix.startsWith('/') || topicPrefix.endsWith('/')) {
    throw new JpayValidationError('ledgerTopic', 'must be a topic without wildcards, nor a leading or trailing /');
  }
  const origin = text(config.machine);
  if (origin.length > 100) throw new JpayValidationError('machine', 'must be at most 100 characters');
  return { file, unknownCards, unknownCardLimit, topicPrefix, ...(origin !== '' ? { origin } : {}) };
}

export function parseLoyaltyConfig(config: LoyaltyConfig, credentials: LoyaltyCredentials = {}, where: LoyaltyWhere = {}): LoyaltyProgram {
  const purses = pursesOf(config.purses);
  const cardKind = blank(config.cardKind) ? '1k' : config.cardKind;
  if (cardKind !== '1k' && cardKind !== '4k') throw new JpayValidationError('cardKind', "must be '1k' or '4k'");
  const version = integerField(config.layoutVersion, 'layoutVersion', 1, 2, 1) as 1 | 2;
  const programId = integerField(config.programId, 'programId', 1, 0xffffffff);
  const layout = defineLayout({
    programId,
    purses,
    cardKind,
    sector: integerField(config.sector, 'sector', 1, 39, 1),
    maxBalance: integerField(config.maxBalance, 'maxBalance', 1, VALUE_MAX, VALUE_MAX),
    version,
    ...(version === 2 ? { keys: keyringOf(config, credentials), upgradeV1: flag(config.upgradeV1) } : {}),
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
  const program: LoyaltyProgram = { layout, rules, pendingTimeoutMs };
  if (version === 2) program.ledger = ledgerOf(config, programId, where);
  return program;
}

/** Points a payment earns: ⌊amount / unit⌋ × per, exact (the driver refuses above the maximum). */
export function pointsFor(amount: number, rules: Pick<LoyaltyRules, 'pointsPer' | 'pointsUnit'>): number {
  if (!Number.isInteger(amount) || amount <= 0 || rules.pointsPer === 0) return 0;
  const earned = (BigInt(amount) / BigInt(rules.pointsUnit)) * BigInt(rules.pointsPer);
  return earned > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(earned);
}
