import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JpayValidationError } from '../../../lib/errors';
import { trailerBlockOf } from '../../../lib/mifare/geometry';
import { DEFAULT_TRANSPORT_TRAILER, decodeAccessBits, encodeTrailer } from '../../../lib/mifare/trailer';
import { decodeValueBlock, encodeValueBlock } from '../../../lib/mifare/value-block';
import { type TearMode, VirtualMifareCard } from '../../../lib/mifare/virtual-card';

function block(fill: number): Buffer {
  return Buffer.alloc(16, fill);
}

function readOk(card: VirtualMifareCard, n: number): Buffer {
  const result = card.read(n);
  assert.ok(result.ok, `read ${n} failed: ${result.ok ? '' : result.reason}`);
  return result.data;
}

describe('mifare/virtual-card', () => {
  describe('a fresh card', () => {
    it('has UID, BCC, SAK and ATQA in block 0, transport trailers and zero data blocks (1k)', () => {
      const card = new VirtualMifareCard({ uid: '01020304' });
      assert.equal(card.kind, '1k');
      assert.equal(card.uid, '01020304');
      assert.equal(card.authBlock, 4);
      assert.equal(card.inField, true);
      assert.equal(card.writeCount, 0);
      const image = card.toImage();
      assert.equal(image.length, 1024);
      assert.equal(image.subarray(0, 8).toString('hex'), '0102030404080400'); // BCC = 01^02^03^04 = 04
      for (let s = 0; s < 16; s++) {
        const t = trailerBlockOf(s, '1k');
        assert.deepEqual(image.subarray(t * 16, t * 16 + 16), DEFAULT_TRANSPORT_TRAILER);
      }
      for (const b of [1, 2, 4, 5, 6, 62]) assert.deepEqual(readOk(card, b), block(0));
    });

    it('builds a 4k card with 40 transport trailers', () => {
      const card = new VirtualMifareCard({ kind: '4k', uid: 'DEADBEEF' });
      const image = card.toImage();
      assert.equal(image.length, 4096);
      assert.equal(image[4], 0xde ^ 0xad ^ 0xbe ^ 0xef);
      assert.equal(image[5], 0x18);
      for (const t of [3, 127, 143, 255]) assert.deepEqual(image.subarray(t * 16, t * 16 + 16), DEFAULT_TRANSPORT_TRAILER);
      assert.equal(card.read(255).ok, true);
      assert.equal(card.read(256).ok, false);
    });

    it('takes a 7-byte UID (no BCC) and makes random 4-byte UIDs', () => {
      const card = new VirtualMifareCard({ uid: '04a1b2c3d4e5f6' });
      assert.equal(card.uid, '04A1B2C3D4E5F6');
      assert.equal(card.toImage().subarray(0, 8).toString('hex'), '04a1b2c3d4e5f608');
      const uids = new Set(Array.from({ length: 20 }, () => new VirtualMifareCard().uid));
      for (const uid of uids) assert.match(uid, /^[0-9A-F]{8}$/);
      assert.ok(uids.size > 1);
    });

    it('validates its options', () => {
      const field = (name: string) => (e: unknown) => e instanceof JpayValidationError && e.field === name;
      assert.throws(() => new VirtualMifareCard({ uid: '010203' }), field('uid'));
      assert.throws(() => new VirtualMifareCard({ uid: '0102030405' }), field('uid'));
      assert.throws(() => new VirtualMifareCard({ uid: 'zz020304' }), field('uid'));
      assert.throws(() => new VirtualMifareCard({ kind: '2k' as never }), field('kind'));
      assert.throws(() => new VirtualMifareCard({ authBlock: 64 }), field('authBlock'));
      assert.doesNotThrow(() => new VirtualMifareCard({ kind: '4k', authBlock: 200 }));
      assert.throws(() => new VirtualMifareCard({ image: Buffer.alloc(1000) }), field('image'));
      assert.throws(() => new VirtualMifareCard({ kind: '4k', image: Buffer.alloc(1024) }), field('image'));
    });
  });

  describe('read and write', () => {
    it('stores 16-byte blocks and reads copies', () => {
      const card = new VirtualMifareCard({ uid: '01020304' });
      const value = encodeValueBlock(-250, 4);
      assert.deepEqual(card.write(4, value), { ok: true });
      assert.deepEqual(card.write(62, block(0xab)), { ok: true });
      assert.equal(card.writeCount, 2);
      const read = readOk(card, 4);
      assert.deepEqual(decodeValueBlock(read), { ok: true, value: -250, address: 4 });
      read.fill(0);
      assert.deepEqual(readOk(card, 4), value, 'a read returns a copy');
      value.fill(0);
      assert.deepEqual(decodeValueBlock(readOk(card, 4)), { ok: true, value: -250, address: 4 }, 'write copies its input');
      assert.deepEqual(readOk(card, 62), block(0xab));
    });

    it('refuses wrong sizes, out-of-range blocks, block 0 and trailers', () => {
      const card = new VirtualMifareCard();
      const before = card.toImage();
      for (const data of [Buffer.alloc(15), Buffer.alloc(17), Buffer.alloc(0)]) assert.equal(card.write(4, data).ok, false);
      for (const b of [-1, 64, 2.5]) {
        assert.equal(card.write(b, block(1)).ok, false);
        assert.equal(card.read(b).ok, false);
      }
      const zero = card.write(0, block(1));
      assert.equal(zero.ok, false);
      if (!zero.ok) assert.match(zero.reason, /manufacturer block/);
      for (const t of [3, 7, 63]) assert.equal(card.write(t, DEFAULT_TRANSPORT_TRAILER).ok, false);
      assert.deepEqual(card.toImage(), before);
      assert.equal(card.writeCount, 0);
    });

    it('writes trailers when allowed, but never one whose access bits would lock the sector', () => {
      const card = new VirtualMifareCard({ allowTrailerWrites: true });
      const trailer = encodeTrailer({ keyA: block(0xa1).subarray(0, 6), keyB: block(0xb2).subarray(0, 6), conditions: [0, 0, 0, 3], gpb: 0 });
      assert.deepEqual(card.write(7, trailer), { ok: true });
      assert.deepEqual(card.toImage().subarray(7 * 16, 8 * 16), trailer);
      const broken = Buffer.from(trailer);
      broken[7] ^= 0x10;
      const result = card.write(11, broken);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, /lock the sector/);
      assert.equal(card.write(0, block(0)).ok, false, 'block 0 stays read-only');
    });

    it('reads key A as zeros, and key B too when the access bits hide it', () => {
      const card = new VirtualMifareCard({ allowTrailerWrites: true });
      assert.equal(readOk(card, 3).toString('hex').toUpperCase(), '000000000000FF078069FFFFFFFFFFFF');
      const keyB = Buffer.from('B0B1B2B3B4B5', 'hex');
      const hidden = encodeTrailer({ keyA: Buffer.alloc(6, 0xa0), keyB, conditions: [0, 0, 0, 3], gpb: 0x69 });
      assert.equal(card.write(7, hidden).ok, true);
      const read = readOk(card, 7);
      assert.equal(read.toString('hex').toUpperCase(), '0000000000007F078869000000000000');
      assert.equal(decodeAccessBits(read).ok, true);
      assert.deepEqual(card.toImage().subarray(7 * 16 + 10, 8 * 16), keyB, 'the image keeps the keys');
    });
  });

  describe('field', () => {
    it('fails every read and write while removed, and works again when returned', () => {
      const card = new VirtualMifareCard();
      card.remove();
      assert.equal(card.inField, false);
      const read = card.read(4);
      assert.equal(read.ok, false);
      if (!read.ok) assert.match(read.reason, /not in the field/);
      assert.equal(card.write(4, block(7)).ok, false);
      card.returnToField();
      assert.equal(card.inField, true);
      assert.deepEqual(readOk(card, 4), block(0), 'the write made while removed was not stored');
      assert.deepEqual(card.write(4, block(7)), { ok: true });
      assert.deepEqual(readOk(card, 4), block(7));
    });
  });

  describe('tearing', () => {
    const expected: Record<TearMode, (old: Buffer, neu: Buffer) => Buffer> = {
      before: (old) => old,
      after: (_old, neu) => neu,
      partial: (old, neu) => Buffer.concat([neu.subarray(0, 8), old.subarray(8)]),
    };

    for (const mode of ['before', 'after', 'partial'] as const) {
      for (const n of [0, 1, 3, 7]) {
        it(`${mode}: after ${n} writes the next one tears and the card leaves the field`, () => {
          const blocks = [4, 5, 6, 8, 9, 10, 12, 13, 14];
          const target = blocks[n]!;
          // Start from a card holding a value block at the target, so the torn block can be checked.
          const old = encodeValueBlock(100, target);
          const image = new VirtualMifareCard({ kind: '4k' }).toImage();
          old.copy(image, target * 16);
          const seeded = VirtualMifareCard.fromImage(image);
          seeded.tearAfterWrites(n, mode);
          for (let i = 0; i < n; i++) assert.deepEqual(seeded.write(blocks[i]!, block(i + 1)), { ok: true }, `write ${i + 1}`);
          assert.equal(seeded.inField, true);
          const neu = encodeValueBlock(-5, target);
          const torn = seeded.write(target, neu);
          assert.equal(torn.ok, false);
          if (!torn.ok) assert.match(torn.reason, /torn/);
          assert.equal(seeded.inField, false);
          assert.equal(seeded.writeCount, n);
          assert.equal(seeded.read(target).ok, false, 'reads fail until returned');
          assert.equal(seeded.write(blocks[n + 1]!, block(9)).ok, false, 'writes fail until returned');

          seeded.returnToField();
          const stored = readOk(seeded, target);
          assert.deepEqual(stored, expected[mode](old, neu));
          const decoded = decodeValueBlock(stored);
          if (mode === 'before') assert.deepEqual(decoded, { ok: true, value: 100, address: target });
          if (mode === 'after') assert.deepEqual(decoded, { ok: true, value: -5, address: target });
          if (mode === 'partial') assert.equal(decoded.ok, false, 'a torn value block fails its redundancy check');
          for (let i = 0; i < n; i++) assert.deepEqual(readOk(seeded, blocks[i]!), block(i + 1));

          assert.deepEqual(seeded.write(blocks[n + 1]!, block(9)), { ok: true }, 'the fault is one-shot');
          assert.equal(seeded.inField, true);
          assert.equal(seeded.writeCount, n + 1);
        });
      }
    }

    it('does not count refused writes towards n', () => {
      const card = new VirtualMifareCard();
      card.tearAfterWrites(1, 'before');
      assert.equal(card.write(3, block(1)).ok, false, 'trailer refused');
      assert.equal(card.write(0, block(1)).ok, false, 'block 0 refused');
      assert.equal(card.write(4, block(1)).ok, true);
      assert.equal(card.inField, true);
      assert.equal(card.write(5, block(2)).ok, false);
      assert.equal(card.inField, false);
    });

    it('validates its arguments', () => {
      const card = new VirtualMifareCard();
      assert.throws(() => card.tearAfterWrites(-1, 'before'), JpayValidationError);
      assert.throws(() => card.tearAfterWrites(1.5, 'after'), JpayValidationError);
      assert.throws(() => card.tearAfterWrites(0, 'sideways' as TearMode), JpayValidationError);
    });
  });

  describe('images', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'jpay-mifare-'));
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('copies the image in and out', () => {
      const card = new VirtualMifareCard({ uid: '11223344' });
      card.write(8, block(0x55));
      const image = card.toImage();
      image[8 * 16] = 0;
      assert.deepEqual(readOk(card, 8), block(0x55), 'toImage returns a copy');
      const copy = VirtualMifareCard.fromImage(card.toImage());
      assert.equal(copy.uid, '11223344');
      assert.equal(copy.kind, '1k');
      assert.deepEqual(copy.toImage(), card.toImage());
    });

    it('reads the UID of an image: 4 bytes when the BCC checks, else 7, or as given', () => {
      const seven = new VirtualMifareCard({ uid: '04112233445566' });
      assert.equal(VirtualMifareCard.fromImage(seven.toImage()).uid, '04112233445566');
      assert.equal(VirtualMifareCard.fromImage(seven.toImage(), { uid: '04112233445566' }).uid, '04112233445566');
      assert.throws(() => VirtualMifareCard.fromImage(seven.toImage(), { uid: '04112234' }), JpayValidationError);
    });

    it('saves a raw dump and loads it back (1k and 4k)', async () => {
      for (const kind of ['1k', '4k'] as const) {
        const card = new VirtualMifareCard({ kind, uid: 'A1B2C3D4', allowTrailerWrites: true });
        assert.equal(card.write(kind === '1k' ? 61 : 250, encodeValueBlock(4200, 1)).ok, true);
        const file = join(dir, `card-${kind}.mfd`);
        await card.saveTo(file);
        assert.equal((await stat(file)).size, kind === '1k' ? 1024 : 4096);
        const loaded = await VirtualMifareCard.loadFrom(file, { authBlock: 8 });
        assert.equal(loaded.kind, kind);
        assert.equal(loaded.uid, 'A1B2C3D4');
        assert.equal(loaded.authBlock, 8);
        assert.equal(loaded.allowTrailerWrites, false);
        assert.deepEqual(loaded.toImage(), card.toImage());
      }
    });

    it('overwrites an existing dump and leaves no temporary file', async () => {
      const file = join(dir, 'card.mfd');
      await new VirtualMifareCard({ uid: '01010101' }).saveTo(file);
      await new VirtualMifareCard({ uid: '02020202' }).saveTo(file);
      assert.equal((await VirtualMifareCard.loadFrom(file)).uid, '02020202');
      assert.deepEqual(await readdir(dir), ['card.mfd']);
    });

    it('refuses dumps that are not 1024 or 4096 bytes', async () => {
      const file = join(dir, 'short.mfd');
      await writeFile(file, Buffer.alloc(1000));
      await assert.rejects(VirtualMifareCard.loadFrom(file), (e: unknown) => e instanceof JpayValidationError && e.field === 'image');
      await assert.rejects(VirtualMifareCard.loadFrom(join(dir, 'missing.mfd')), /ENOENT/);
    });
  });
});
