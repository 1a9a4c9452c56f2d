// Where a loyalty card's blocks live (docs/loyalty-card.md). One header block, then two
// record slots A and B; a slot is one NXP value block per purse (points, balance). One
// purse fits one 4-block sector (3 data blocks); two purses need 5 blocks, i.e. the
// configured sector and the next one on a 1K card (or one 16-block sector on a 4K card).
// Sector 0 is refused (block 0 is the manufacturer block; block 1-2 hold the MAD on
// MAD-formatted cards); trailers are never part of a layout, so they are never written.

import { JpayValidationError } from '../../errors';
import { type CardKind, dataBlocksOfSector, isCardKind, sectorCount } from '../geometry';
import { VALUE_MAX } from '../value-block';

export type Purse = 'points' | 'balance';
/** Canonical order: a slot holds its points block before its balance block. */
export const PURSES: readonly Purse[] = ['points', 'balance'];
export const LAYOUT_VERSION = 1;
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
}

export interface LoyaltyLayout {
  readonly version: typeof LAYOUT_VERSION;
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
    version: LAYOUT_VERSION,
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

/** The blocks to read, in order: header, slot A, slot B. */
export function planRead(layout: LoyaltyLayout): number[] {
  return [layout.headerBlock, ...layout.slots[0], ...layout.slots[1]];
}
