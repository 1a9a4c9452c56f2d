import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import { type CardKind, isManufacturerBlock, isSectorTrailer, sectorCount, sectorOf } from '../../../lib/mifare/geometry';
import { guardWrite } from '../../../lib/mifare/trailer';
import { encodeValueBlock } from '../../../lib/mifare/value-block';
import { VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import {
  type DecodedCard,
  type LoyaltyLayout,
  type Purse,
  LoyaltyError,
  crc16,
  decodeCard,
  decodeHeader,
  defineLayout,
  encodeHeader,
  planIssue,
  planOperation,
  planRead,
  planRepair,
} from '../../../lib/mifare/loyalty';

const BOTH = defineLayout({ programId: 0x01020304, purses: ['points', 'balance'] });
const POINTS = defineLayout({ programId: 0x01020304, purses: ['points'] });

function blocksOf(card: VirtualMifareCard, layout: LoyaltyLayout): Map<number, Buffer> {
  const blocks = new Map<number, Buffer>();
  for (const b of planRead(layout)) {
    const r = card.read(b);
    if (!r.ok) throw new Error(r.reason);
    blocks.set(b, r.data);
  }
  return blocks;
}

function issuedBlocks(layout: LoyaltyLayout, points = 120, balance = 4550, readAs: LoyaltyLayout = layout): Map<number, Buffer> {
  const card = new VirtualMifareCard({ kind: layout.cardKind, uid: '0A0B0C0D' });
  const request = { memberId: 987654321, ...(layout.purses.includes('points') ? { points } : {}), ...(layout.purses.includes('balance') ? { balance } : {}) };
  for (const w of planIssue(layout, decodeCard(layout, blocksOf(card, layout)), request).writes) assert.equal(card.write(w.block, w.data).ok, true);
  return blocksOf(card, readAs);
}

function withBlock(blocks: Map<number, Buffer>, block: number, data: Buffer): Map<number, Buffer> {
  const copy = new Map<number, Buffer>([...blocks].map(([b, d]): [number, Buffer] => [b, Buffer.from(d)]));
  copy.set(block, data);
  return copy;
}

/** A decoded card that must not lead to any write. */
function assertNoWrites(layout: LoyaltyLayout, card: DecodedCard, code: RegExp): void {
  assert.throws(() => planRepair(layout, card), (err: unknown) => err instanceof LoyaltyError && code.test(err.code));
  assert.throws(() => planOperation(layout, card, { earnPoints: 1 }), (err: unknown) => err instanceof LoyaltyError && code.test(err.code));
}

describe('mifare/loyalty layout', () => {
  it('CRC-16/CCITT-FALSE matches its published check value', () => {
    assert.equal(crc16(Buffer.from('123456789', 'latin1')), 0x29b1);
    assert.equal(crc16(Buffer.alloc(0)), 0xffff);
  });

  it('places one purse in one sector: header, slot A, slot B', () => {
    assert.deepEqual([POINTS.headerBlock, POINTS.slots], [4, [[5], [6]]]);
    assert.deepEqual(POINTS.sectors, [1]);
    const s9 = defineLayout({ programId: 1, purses: ['balance'], sector: 9 });
    assert.deepEqual(planRead(s9), [36, 37, 38]);
  });

  it('places two purses in two 1K sectors, or one 16-block 4K sector, each slot inside one sector', () => {
    assert.deepEqual([BOTH.headerBlock, BOTH.slots, BOTH.sectors], [4, [[5, 6], [8, 9]], [1, 2]]);
    const big = defineLayout({ programId: 1, purses: ['balance', 'points'], cardKind: '4k', sector: 32 });
    assert.deepEqual([big.headerBlock, big.slots, big.sectors, big.purses], [128, [[129, 130], [131, 132]], [32], ['points', 'balance']]);
  });

  it('never includes block 0 or a sector trailer, for every sector and purse set', () => {
    const sets: Purse[][] = [['points'], ['balance'], ['points', 'balance']];
    for (const kind of ['1k', '4k'] as CardKind[]) {
      for (const purses of sets) {
        for (let sector = 1; sector < sectorCount(kind); sector++) {
          let layout: LoyaltyLayout;
          try {
            layout = defineLayout({ programId: 5, purses, cardKind: kind, sector });
          } catch (err) {
            // Only two purses from the last 1K sector have no next sector to spill into.
            const expected = kind === '1k' && purses.length === 2 && sector === 15;
            assert.ok(expected && err instanceof JpayValidationError && err.field === 'sector', `${kind} ${sector}: ${String(err)}`);
            continue;
          }
          for (const b of planRead(layout)) {
            assert.equal(isManufacturerBlock(b), false);
            assert.equal(isSectorTrailer(b, kind), false, `${kind} sector ${sector}: block ${b} is a trailer`);
            assert.deepEqual(guardWrite(b, kind), { ok: true });
          }
          for (const slot of layout.slots) assert.equal(new Set(slot.map((b) => sectorOf(b, kind))).size, 1, 'a slot spans two sectors');
        }
      }
    }
  });

  it('refuses sector 0, a sector without room, bad purses and bad program ids', () => {
    const bad: [Parameters<typeof defineLayout>[0], string][] = [
      [{ programId: 1, purses: ['points'], sector: 0 }, 'sector'],
      [{ programId: 1, purses: ['points', 'balance'], sector: 15 }, 'sector'],
      [{ programId: 1, purses: ['points'], sector: 16 }, 'sector'],
      [{ programId: 1, purses: [] }, 'purses'],
      [{ programId: 1, purses: ['points', 'points'] }, 'purses'],
      [{ programId: 1, purses: ['cash' as Purse] }, 'purses'],
      [{ programId: 0, purses: ['points'] }, 'programId'],
      [{ programId: 2 ** 32, purses: ['points'] }, 'programId'],
      [{ programId: 1.5, purses: ['points'] }, 'programId'],
      [{ programId: 1, purses: ['points'], maxPoints: 2 ** 31 }, 'maxPoints'],
      [{ programId: 1, purses: ['points'], cardKind: '2k' as CardKind }, 'cardKind'],
    ];
    for (const [options, field] of bad) {
      assert.throws(() => defineLayout(options), (err: unknown) => err instanceof JpayValidationError && err.field === field, JSON.stringify(options));
    }
  });

  it('encodes the header byte for byte: magic, version, purse flags, program, member, CRC', () => {
    const header = encodeHeader(BOTH, 987654321);
    assert.equal(header.subarray(0, 14).toString('hex').toUpperCase(), '4A504C59' + '01' + '03' + '01020304' + '3ADE68B1');
    assert.equal(header.readUInt16BE(14), crc16(header.subarray(0, 14)));
    assert.equal(encodeHeader(POINTS, 1)[5], 0x01);
    assert.deepEqual(decodeHeader(header), { status: 'ok', header: { version: 1, flags: 3, programId: 0x01020304, memberId: 987654321 } });
  });

  it('stores each purse as an NXP value block whose address byte is the transaction counter', () => {
    const blocks = issuedBlocks(BOTH, 120, 4550);
    for (const b of [5, 8]) assert.deepEqual(blocks.get(b), encodeValueBlock(120, 0));
    for (const b of [6, 9]) assert.deepEqual(blocks.get(b), encodeValueBlock(4550, 0));
  });
});

describe('mifare/loyalty decodeCard', () => {
  it('reads an issued card as ok, both copies identical, nothing to repair', () => {
    const card = decodeCard(BOTH, issuedBlocks(BOTH));
    assert.equal(card.kind, 'ok');
    if (card.kind !== 'ok') return;
    assert.deepEqual(card.state, { programId: 0x01020304, memberId: 987654321, counter: 0, points: 120, balance: 4550 });
    assert.equal(card.needsRepair, false);
    assert.deepEqual(planRepair(BOTH, card), []);
  });

  it('a blank card (all-zero data blocks) is blank, and nothing but issuance writes to it', () => {
    const blank = blocksOf(new VirtualMifareCard({ uid: '01020304' }), BOTH);
    const card = decodeCard(BOTH, blank);
    assert.equal(card.kind, 'blank');
    assertNoWrites(BOTH, card, /^blank-card$/);
  });

  it('foreign cards: other magic, data without a header, another program, version or purse set', () => {
    const issued = issuedBlocks(BOTH);
    const otherApp = withBlock(issued, 4, Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex'));
    const noHeader = withBlock(issued, 4, Buffer.alloc(16));
    const otherProgram = issuedBlocks(defineLayout({ programId: 99, purses: ['points', 'balance'] }));
    const otherPurses = issuedBlocks(POINTS, 1, 1, BOTH);
    const v2 = Buffer.from(issued.get(4) ?? Buffer.alloc(16));
    v2[4] = 2;
    v2.writeUInt16BE(crc16(v2.subarray(0, 14)), 14);
    const cases: [Map<number, Buffer>, string, RegExp][] = [
      [otherApp, 'not-ours', /^foreign-card$/],
      [noHeader, 'not-ours', /^foreign-card$/],
      [otherProgram, 'other-program', /^foreign-program$/],
      [withBlock(issued, 4, v2), 'unsupported-version', /^foreign-card$/],
      [otherPurses, 'other-purses', /^foreign-card$/],
    ];
    for (const [blocks, reason, code] of cases) {
      const card = decodeCard(BOTH, blocks);
      assert.equal(card.kind, 'foreign', reason);
      if (card.kind === 'foreign') assert.equal(card.reason, reason);
      assertNoWrites(BOTH, card, code);
      assert.throws(() => planIssue(BOTH, card, { memberId: 1 }), (err: unknown) => err instanceof LoyaltyError && err.code === 'card-not-blank');
    }
  });

  it('corrupted cards: bad header CRC, both copies invalid, conflicting copies', () => {
    const issued = issuedBlocks(BOTH);
    const badCrc = Buffer.from(issued.get(4) ?? Buffer.alloc(16));
    badCrc[12] ^= 0x01;
    const bothBad = withBlock(withBlock(issued, 6, Buffer.alloc(16, 0x55)), 9, encodeValueBlock(4550, 7));
    const conflict = withBlock(withBlock(issued, 8, encodeValueBlock(121, 0)), 9, encodeValueBlock(4550, 0));
    const farApart = withBlock(withBlock(issued, 8, encodeValueBlock(120, 2)), 9, encodeValueBlock(4550, 2));
    const negative = withBlock(withBlock(issued, 5, encodeValueBlock(-5, 0)), 8, encodeValueBlock(-5, 0));
    const cases: [Map<number, Buffer>, string][] = [
      [withBlock(issued, 4, badCrc), 'bad-header'],
      [bothBad, 'no-valid-record'],
      [conflict, 'conflicting-records'],
      [farApart, 'conflicting-records'],
      [negative, 'no-valid-record'],
    ];
    for (const [blocks, reason] of cases) {
      const card = decodeCard(BOTH, blocks);
      assert.equal(card.kind, 'corrupted', reason);
      if (card.kind === 'corrupted') assert.equal(card.reason, reason);
      assertNoWrites(BOTH, card, /^corrupted-card$/);
      assert.throws(() => planIssue(BOTH, card, { memberId: 1 }), /card-not-blank/);
    }
  });

  it('flipping any byte (or any single bit) of any block is detected, never read as another value', () => {
    for (const layout of [BOTH, POINTS]) {
      const issued = issuedBlocks(layout);
      const good = decodeCard(layout, issued);
      assert.equal(good.kind, 'ok');
      if (good.kind !== 'ok') return;
      for (const block of planRead(layout)) {
        for (let i = 0; i < 16; i++) {
          for (const mask of [0xff, 0x01, 0x10, 0x80]) {
            const bad = Buffer.from(issued.get(block) ?? Buffer.alloc(16));
            bad[i] ^= mask;
            const card = decodeCard(layout, withBlock(issued, block, bad));
            const where = `block ${block} byte ${i} ^ ${mask}`;
            if (block === layout.headerBlock) {
              assert.ok(card.kind === 'foreign' || card.kind === 'corrupted', `${where}: ${card.kind}`);
              continue;
            }
            // A record block: the other copy holds the committed state; the card needs repair.
            assert.equal(card.kind, 'ok', where);
            if (card.kind !== 'ok') continue;
            assert.deepEqual(card.state, good.state, where);
            assert.equal(card.needsRepair, true, where);
            const repair = planRepair(layout, card);
            assert.ok(repair.length > 0 && repair.every((w) => !planRead(layout).slice(0, 1).includes(w.block)));
          }
        }
      }
    }
  });

  it('the same byte flipped in both copies is corrupted, never a value', () => {
    const issued = issuedBlocks(BOTH);
    for (let i = 0; i < 16; i++) {
      const a = Buffer.from(issued.get(6) ?? Buffer.alloc(16));
      const b = Buffer.from(issued.get(9) ?? Buffer.alloc(16));
      a[i] ^= 0xff;
      b[i] ^= 0xff;
      const card = decodeCard(BOTH, withBlock(withBlock(issued, 6, a), 9, b));
      assert.equal(card.kind, 'corrupted', `byte ${i}`);
      assertNoWrites(BOTH, card, /^corrupted-card$/);
    }
  });

  it('refuses a missing or short block instead of guessing', () => {
    const issued = issuedBlocks(POINTS);
    issued.delete(6);
    assert.throws(() => decodeCard(POINTS, issued), (err: unknown) => err instanceof JpayValidationError && err.field === 'blocks[6]');
    issued.set(6, Buffer.alloc(15));
    assert.throws(() => decodeCard(POINTS, issued), /blocks\[6\]/);
  });
});
