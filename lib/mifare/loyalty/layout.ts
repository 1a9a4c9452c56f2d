// Where a loyalty card's blocks live (docs/loyalty-card.md). One header block, then two
// record slots A and B; a slot is one block per purse (points, balance): an NXP value
// block in layout version 1, a MAC'd record block in version 2 (record-v2.ts). One
// purse fits one 4-block sector (3 data blocks); two purses need 5 blocks, i.e. the
// configured sector and the next one on a 1K card (or one 16-block sector on a 4K card).
// Sector 0 is refused (block 0 is the manufacturer block; block 1-2 hold the MAD on
// MAD-formatted cards); trailers are never part of a layout, so they are never written.
// Version 2 also reads block 0 (the UID, which every MAC covers) and never writes it.

import { JpayValidationError } from '../../errors';
import { type CardKind, dataBlocksOfSector, isCardKind, sectorCount } from '../geometry';
import { MANUFACTURER_BLOCK } from '../manufacturer';
import { VALUE_MAX } from '../value-block';
import { LoyaltyKeyring } from './keys';

export type Purse = 'points' | 'balance';
/** Canonical order: a slot holds its points block before its balance block. */
export const PURSES: readonly Purse[] = ['points', 'balance'];
/** 1: value blocks, no keys (tear-proof, not forgery-proof). 2: keyed MACs bound to the UID. */
export type LayoutVersion = 1 | 2;
export const LAYOUT_VERSIONS: readonly LayoutVersion[] = [1, 2];
export const DEFAULT_SECTOR = 1;
export const MAX_PROGRAM_ID = 0xffffffff;
export const MAX_MEMBER_ID = 0xffffffff;

export interface LoyaltyLayoutOptions {
  /** 1..4294967295; written in the header, a card of another program is foreign. */
  programId: number;
  /** Which purses the card carries: ['points'], ['balance'] or both. */
  purses: readonly Purse[];
  cardKind?: CardKind;
  /** First sector used (default 1). */
  sector?: number;
  /** Highest points / balance a card may hold (default and at most 2147483647). */
  maxPoints?: number;
  maxBalance?: number;
  /** Default: 2 when `keys` are given, else 1. Version 2 needs `keys`. */
  version?: LayoutVersion;
  /** The program's keys (version 2): never on the card. */
  keys?: LoyaltyKeyring;
  /** Version 2: accept version 1 cards and rewrite them as version 2 at their tap (default false). */
  upgradeV1?: boolean;
}

export interface LoyaltyLayout {
  readonly version: LayoutVersion;
  /** Present exactly when version is 2. */
  readonly keys?: LoyaltyKeyring;
  readonly upgradeV1: boolean;
  /** Transaction counters count modulo this: 256 (version 1), 65536 (version 2). */
  readonly counterModulo: number;
  readonly programId: number;
  readonly purses: readonly Purse[];
  readonly cardKind: CardKind;
  readonly sectors: readonly number[];
  readonly headerBlock: number;
  /** slots[s][i] = the block of purse `purses[i]` in slot s (0 = A, 1 = B). */
  readonly slots: readonly [readonly number[], readonly number[]];
  readonly maxPoints: number;
  readonly maxBalance: number;
}

function checkMax(value: number | undefined, field: string): number {
  if (value === undefined) return VALUE_MAX;
  if (!Number.isInteger(value) || value < 1 || value > VALUE_MAX) {
    throw new JpayValidationError(field, `must be an integer 1..${VALUE_MAX}`);
  }
  return value;
}

function security(options: LoyaltyLayoutOptions): Pick<LoyaltyLayout, 'version' | 'keys' | 'upgradeV1' | 'counterModulo'> {
  const version = options.version ?? (options.keys !== undefined ? 2 : 1);
  if (!LAYOUT_VERSIONS.includes(version)) throw new JpayValidationError('version', 'must be 1 or 2');
  if (version === 1) {
    if (options.keys !== undefined) throw new JpayValidationError('keys', 'belong to layout version 2 (version 1 has no MACs)');
    if (options.upgradeV1) throw new JpayValidationError('upgradeV1', 'is an option of layout version 2');
    return { version, upgradeV1: false, counterModulo: 256 };
  }
  if (!(options.keys instanceof LoyaltyKeyring)) throw new JpayValidationError('keys', 'are required for layout version 2 (a LoyaltyKeyring)');
  return { version, keys: options.keys, upgradeV1: options.upgradeV1 === true, counterModulo: 65536 };
}

export function defineLayout(options: LoyaltyLayoutOptions): LoyaltyLayout {
  const { programId } = options;
  if (!Number.isInteger(programId) || programId < 1 || programId > MAX_PROGRAM_ID) {
    throw new JpayValidationError('programId', `must be an integer 1..${MAX_PROGRAM_ID}`);
  }
  const requested = options.purses;
  if (!Array.isArray(requested) || requested.length === 0 || requested.some((p) => !PURSES.includes(p))) {
    throw new JpayValidationError('purses', "must list 'points', 'balance' or both");
  }
  if (new Set(requested).size !== requested.length) throw new JpayValidationError('purses', 'must not repeat a purse');
  const purses = PURSES.filter((p) => requested.includes(p));

  const cardKind = options.cardKind ?? '1k';
  if (!isCardKind(cardKind)) throw new JpayValidationError('cardKind', "must be '1k' or '4k'");
  const sector = options.sector ?? DEFAULT_SECTOR;
  const count = sectorCount(cardKind);
  if (!Number.isInteger(sector) || sector < 1 || sector >= count) {
    throw new JpayValidationError('sector', `must be an integer 1..${count - 1} (sector 0 holds block 0 and the MAD)`);
  }

  const needed = 1 + 2 * purses.length;
  const sectors: number[] = [];
  const blocks: number[] = [];
  for (let s = sector; blocks.length < needed; s++) {
    if (s >= count) {
      throw new JpayValidationError('sector', `sector ${sector} leaves too few data blocks for ${purses.join(' + ')} (${needed} needed)`);
    }
    sectors.push(s);
    blocks.push(...dataBlocksOfSector(s, cardKind));
  }
  const n = purses.length;
  return {
    ...security(options),
    programId,
    purses,
    cardKind,
    sectors,
    headerBlock: blocks[0],
    slots: [blocks.slice(1, 1 + n), blocks.slice(1 + n, 1 + 2 * n)],
    maxPoints: checkMax(options.maxPoints, 'maxPoints'),
    maxBalance: checkMax(options.maxBalance, 'maxBalance'),
  };
}

/** The blocks to read, in order: (version 2: block 0, the UID), header, slot A, slot B. */
export function planRead(layout: LoyaltyLayout): number[] {
  return layout.version === 2 ? [MANUFACTURER_BLOCK, ...dataBlocks(layout)] : dataBlocks(layout);
}

/** The layout's own blocks (header and slots): those it writes, and checks for a blank card. */
export function dataBlocks(layout: LoyaltyLayout): number[] {
  return [layout.headerBlock, ...layout.slots[0], ...layout.slots[1]];
}
