import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import {
  BLOCK_SIZE,
  blockCount,
  blocksInSector,
  dataBlocksOfSector,
  firstBlockOfSector,
  isManufacturerBlock,
  isSectorTrailer,
  kindFromMemorySize,
  memorySize,
  sectorCount,
  sectorOf,
  trailerBlockOf,
} from '../../../lib/mifare/geometry';

describe('mifare/geometry', () => {
  it('sizes both kinds', () => {
    assert.equal(BLOCK_SIZE, 16);
    assert.equal(blockCount('1k'), 64);
    assert.equal(blockCount('4k'), 256);
    assert.equal(sectorCount('1k'), 16);
    assert.equal(sectorCount('4k'), 40);
    assert.equal(memorySize('1k'), 1024);
    assert.equal(memorySize('4k'), 4096);
    assert.equal(kindFromMemorySize(1024), '1k');
    assert.equal(kindFromMemorySize(4096), '4k');
    assert.equal(kindFromMemorySize(1023), undefined);
  });

  it('puts the 1k trailers at 3, 7, …, 63', () => {
    const trailers = Array.from({ length: 64 }, (_, b) => b).filter((b) => isSectorTrailer(b, '1k'));
    assert.deepEqual(trailers, Array.from({ length: 16 }, (_, s) => s * 4 + 3));
    for (let s = 0; s < 16; s++) assert.equal(trailerBlockOf(s, '1k'), s * 4 + 3);
  });

  it('maps every block of both kinds to a sector whose range contains it', () => {
    for (const kind of ['1k', '4k'] as const) {
      let expectedSector = 0;
      for (let b = 0; b < blockCount(kind); b++) {
        const s = sectorOf(b, kind);
        assert.equal(s, expectedSector, `block ${b}`);
        assert.ok(b >= firstBlockOfSector(s, kind) && b <= trailerBlockOf(s, kind));
        if (isSectorTrailer(b, kind)) expectedSector++;
      }
      assert.equal(expectedSector, sectorCount(kind));
    }
  });

  it('has 4k big sectors of 16 blocks from block 128', () => {
    assert.equal(trailerBlockOf(31, '4k'), 127);
    assert.equal(firstBlockOfSector(32, '4k'), 128);
    assert.equal(trailerBlockOf(32, '4k'), 143);
    assert.equal(trailerBlockOf(39, '4k'), 255);
    assert.equal(blocksInSector(31, '4k'), 4);
    assert.equal(blocksInSector(32, '4k'), 16);
    assert.equal(sectorOf(128, '4k'), 32);
    assert.equal(sectorOf(143, '4k'), 32);
    assert.equal(sectorOf(144, '4k'), 33);
    assert.equal(sectorOf(255, '4k'), 39);
    assert.equal(isSectorTrailer(131, '4k'), false);
    assert.equal(isSectorTrailer(143, '4k'), true);
    assert.equal(Array.from({ length: 256 }, (_, b) => b).filter((b) => isSectorTrailer(b, '4k')).length, 40);
  });

  it('lists data blocks without the trailer and without block 0', () => {
    assert.deepEqual(dataBlocksOfSector(0, '1k'), [1, 2]);
    assert.deepEqual(dataBlocksOfSector(1, '1k'), [4, 5, 6]);
    assert.deepEqual(dataBlocksOfSector(15, '1k'), [60, 61, 62]);
    assert.deepEqual(dataBlocksOfSector(39, '4k'), Array.from({ length: 15 }, (_, i) => 240 + i));
    assert.equal(isManufacturerBlock(0), true);
    assert.equal(isManufacturerBlock(1), false);
  });

  it('refuses blocks and sectors out of range for the kind', () => {
    assert.throws(() => sectorOf(64, '1k'), JpayValidationError);
    assert.throws(() => sectorOf(-1, '4k'), JpayValidationError);
    assert.throws(() => sectorOf(1.5, '4k'), JpayValidationError);
    assert.throws(() => trailerBlockOf(16, '1k'), (e: unknown) => e instanceof JpayValidationError && e.field === 'sector');
    assert.throws(() => firstBlockOfSector(40, '4k'), JpayValidationError);
    assert.throws(() => blockCount('2k' as never), (e: unknown) => e instanceof JpayValidationError && e.field === 'kind');
    assert.equal(sectorOf(255, '4k'), 39);
  });
});
