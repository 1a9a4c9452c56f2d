import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import {
  type AccessCondition,
  DEFAULT_TRANSPORT_TRAILER,
  TRANSPORT_ACCESS_CONDITIONS,
  decodeAccessBits,
  encodeAccessBits,
  encodeTrailer,
  guardWrite,
  isKeyBReadable,
  transportTrailer,
} from '../../../lib/mifare/trailer';

function trailerWith(access: Buffer): Buffer {
  return Buffer.concat([Buffer.alloc(6, 0xff), access, Buffer.alloc(6, 0xff)]);
}

describe('mifare/trailer', () => {
  it('has the factory transport trailer', () => {
    assert.equal(DEFAULT_TRANSPORT_TRAILER.toString('hex').toUpperCase(), 'FFFFFFFFFFFFFF078069FFFFFFFFFFFF');
    assert.deepEqual(transportTrailer(), DEFAULT_TRANSPORT_TRAILER);
    assert.notEqual(transportTrailer(), DEFAULT_TRANSPORT_TRAILER);
    assert.deepEqual(decodeAccessBits(DEFAULT_TRANSPORT_TRAILER), { ok: true, conditions: [0, 0, 0, 1], gpb: 0x69 });
    assert.equal(encodeAccessBits(TRANSPORT_ACCESS_CONDITIONS).toString('hex').toUpperCase(), 'FF078069');
  });

  it('decodes the common 7F 07 88 layout (data blocks 000, trailer 011)', () => {
    assert.deepEqual(decodeAccessBits(trailerWith(Buffer.from('7F078800', 'hex'))), { ok: true, conditions: [0, 0, 0, 3], gpb: 0 });
    assert.equal(encodeAccessBits([0, 0, 0, 3], 0).toString('hex').toUpperCase(), '7F078800');
  });

  it('places C1, C2 and C3 of group 0 where the datasheet figure puts them', () => {
    // C1_0: byte 7 bit 4 (inverse byte 6 bit 0); C2_0: byte 8 bit 0 (inverse byte 6 bit 4);
    // C3_0: byte 8 bit 4 (inverse byte 7 bit 0).
    assert.equal(encodeAccessBits([4, 0, 0, 0], 0).toString('hex').toUpperCase(), 'FE1F0000');
    assert.equal(encodeAccessBits([2, 0, 0, 0], 0).toString('hex').toUpperCase(), 'EF0F0100');
    assert.equal(encodeAccessBits([1, 0, 0, 0], 0).toString('hex').toUpperCase(), 'FF0E1000');
  });

  it('round-trips all 4096 combinations of conditions', () => {
    for (let n = 0; n < 4096; n++) {
      const conditions = [n & 7, (n >> 3) & 7, (n >> 6) & 7, (n >> 9) & 7] as AccessCondition[];
      const gpb = n & 0xff;
      const result = decodeAccessBits(trailerWith(encodeAccessBits(conditions, gpb)));
      assert.deepEqual(result, { ok: true, conditions, gpb });
    }
  });

  it('detects every flipped bit of the access bytes 6..8', () => {
    const conditions = [3, 5, 6, 4];
    const good = trailerWith(encodeAccessBits(conditions, 0x42));
    for (let byte = 6; byte <= 8; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Buffer.from(good);
        bad[byte] ^= 1 << bit;
        const result = decodeAccessBits(bad);
        assert.equal(result.ok, false, `byte ${byte} bit ${bit}`);
        if (!result.ok) assert.match(result.reason, /C[123] do not match their inverted copy/);
      }
    }
    const gpbChanged = Buffer.from(good);
    gpbChanged[9] = 0;
    assert.equal(decodeAccessBits(gpbChanged).ok, true, 'the GPB is not part of the check');
    assert.equal(decodeAccessBits(Buffer.alloc(16)).ok, false, 'all zeros is not a valid trailer');
    assert.equal(decodeAccessBits(Buffer.alloc(10)).ok, false);
  });

  it('validates conditions, GPB and keys', () => {
    assert.throws(() => encodeAccessBits([0, 0, 0]), (e: unknown) => e instanceof JpayValidationError && e.field === 'conditions');
    assert.throws(() => encodeAccessBits([0, 8, 0, 0]), (e: unknown) => e instanceof JpayValidationError && e.field === 'conditions[1]');
    assert.throws(() => encodeAccessBits([0, 0, 0, 1], 256), (e: unknown) => e instanceof JpayValidationError && e.field === 'gpb');
    assert.throws(
      () => encodeTrailer({ keyA: Buffer.alloc(5), keyB: Buffer.alloc(6), conditions: [0, 0, 0, 1] }),
      (e: unknown) => e instanceof JpayValidationError && e.field === 'keyA',
    );
  });

  it('builds a trailer from keys and conditions', () => {
    const keyA = Buffer.from('A0A1A2A3A4A5', 'hex');
    const keyB = Buffer.from('B0B1B2B3B4B5', 'hex');
    const trailer = encodeTrailer({ keyA, keyB, conditions: [0, 0, 0, 3], gpb: 0 });
    assert.equal(trailer.length, 16);
    assert.deepEqual(trailer.subarray(0, 6), keyA);
    assert.deepEqual(trailer.subarray(10, 16), keyB);
    assert.deepEqual(decodeAccessBits(trailer), { ok: true, conditions: [0, 0, 0, 3], gpb: 0 });
  });

  it('knows when key B is readable', () => {
    assert.deepEqual(([0, 1, 2, 3, 4, 5, 6, 7] as const).filter((c) => isKeyBReadable(c)), [0, 1, 2]);
  });

  describe('guardWrite', () => {
    it('allows data blocks', () => {
      for (const block of [1, 2, 4, 62]) assert.deepEqual(guardWrite(block, '1k'), { ok: true });
      for (const block of [128, 142, 254]) assert.deepEqual(guardWrite(block, '4k'), { ok: true });
    });

    it('refuses every trailer unless trailer writes are allowed', () => {
      for (let s = 0; s < 16; s++) {
        const result = guardWrite(s * 4 + 3, '1k');
        assert.equal(result.ok, false);
        if (!result.ok) assert.match(result.reason, new RegExp(`trailer of sector ${s}\\b`));
        assert.deepEqual(guardWrite(s * 4 + 3, '1k', { allowTrailerWrites: true }), { ok: true });
      }
      assert.equal(guardWrite(143, '4k').ok, false);
      assert.equal(guardWrite(255, '4k').ok, false);
      assert.equal(guardWrite(131, '4k').ok, true);
    });

    it('refuses block 0 unless the manufacturer block is allowed', () => {
      const result = guardWrite(0, '1k', { allowTrailerWrites: true });
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, /manufacturer block/);
      assert.deepEqual(guardWrite(0, '4k', { allowManufacturerBlock: true }), { ok: true });
    });

    it('refuses blocks out of range', () => {
      for (const block of [-1, 64, 1.5, Number.NaN]) assert.equal(guardWrite(block, '1k').ok, false);
      assert.equal(guardWrite(256, '4k').ok, false);
      assert.equal(guardWrite(64, '4k').ok, true);
    });
  });
});
