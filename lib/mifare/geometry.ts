// MIFARE Classic memory organisation (NXP MF1S50yyX / MF1S70yyX).
// 1K: 16 sectors of 4 blocks. 4K: 32 sectors of 4 blocks, then 8 sectors of 16 blocks.
// The last block of every sector is its trailer (keys and access bits); block 0 is the
// manufacturer block.

import { JpayValidationError } from '../errors';

export const BLOCK_SIZE = 16;

export type CardKind = '1k' | '4k';
export const CARD_KINDS: readonly CardKind[] = ['1k', '4k'];

/** Sectors 0..31 have 4 blocks; on a 4K card, sectors 32..39 have 16. */
const SMALL_SECTORS = 32;
const SMALL_SECTOR_BLOCKS = 4;
const BIG_SECTOR_BLOCKS = 16;
const FIRST_BIG_BLOCK = SMALL_SECTORS * SMALL_SECTOR_BLOCKS; // 128

export function isCardKind(value: unknown): value is CardKind {
  return value === '1k' || value === '4k';
}

function assertKind(kind: CardKind): void {
  if (!isCardKind(kind)) throw new JpayValidationError('kind', "must be '1k' or '4k'");
}

const SIZES: Readonly<Record<CardKind, { blocks: number; sectors: number }>> = { '1k': { blocks: 64, sectors: 16 }, '4k': { blocks: 256, sectors: 40 } };

export function blockCount(kind: CardKind): number {
  assertKind(kind);
  return SIZES[kind].blocks;
}

export function sectorCount(kind: CardKind): number {
  assertKind(kind);
  return SIZES[kind].sectors;
}

/** Whole-memory size in bytes: 1024 (1K) or 4096 (4K), the size of a raw `.mfd` dump. */
export function memorySize(kind: CardKind): number {
  return blockCount(kind) * BLOCK_SIZE;
}

/** The kind whose memory has this many bytes, or undefined. */
export function kindFromMemorySize(size: number): CardKind | undefined {
  return CARD_KINDS.find((kind) => memorySize(kind) === size);
}

export function isValidBlock(block: number, kind: CardKind): boolean {
  return Number.isInteger(block) && block >= 0 && block < blockCount(kind);
}

export function assertBlockNumber(block: number, kind: CardKind, field = 'block'): void {
  if (!isValidBlock(block, kind)) {
    throw new JpayValidationError(field, `must be an integer 0..${blockCount(kind) - 1} on a ${kind} card`);
  }
}

export function assertSectorNumber(sector: number, kind: CardKind, field = 'sector'): void {
  const count = sectorCount(kind);
  if (!Number.isInteger(sector) || sector < 0 || sector >= count) {
    throw new JpayValidationError(field, `must be an integer 0..${count - 1} on a ${kind} card`);
  }
}

export function blocksInSector(sector: number, kind: CardKind): number {
  assertSectorNumber(sector, kind);
  return sector < SMALL_SECTORS ? SMALL_SECTOR_BLOCKS : BIG_SECTOR_BLOCKS;
}

export function sectorOf(block: number, kind: CardKind): number {
  assertBlockNumber(block, kind);
  return block < FIRST_BIG_BLOCK
    ? Math.floor(block / SMALL_SECTOR_BLOCKS)
    : SMALL_SECTORS + Math.floor((block - FIRST_BIG_BLOCK) / BIG_SECTOR_BLOCKS);
}

export function firstBlockOfSector(sector: number, kind: CardKind): number {
  assertSectorNumber(sector, kind);
  return sector < SMALL_SECTORS
    ? sector * SMALL_SECTOR_BLOCKS
    : FIRST_BIG_BLOCK + (sector - SMALL_SECTORS) * BIG_SECTOR_BLOCKS;
}

export function trailerBlockOf(sector: number, kind: CardKind): number {
  return firstBlockOfSector(sector, kind) + blocksInSector(sector, kind) - 1;
}

export function isSectorTrailer(block: number, kind: CardKind): boolean {
  return trailerBlockOf(sectorOf(block, kind), kind) === block;
}

export function isManufacturerBlock(block: number): boolean {
  return block === 0;
}

/** The blocks of a sector that hold data: not the trailer, and not block 0 in sector 0. */
export function dataBlocksOfSector(sector: number, kind: CardKind): number[] {
  const first = firstBlockOfSector(sector, kind);
  const trailer = trailerBlockOf(sector, kind);
  const blocks: number[] = [];
  for (let b = first; b < trailer; b++) if (!isManufacturerBlock(b)) blocks.push(b);
  return blocks;
}
