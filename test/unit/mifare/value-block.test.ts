import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import { VALUE_MAX, VALUE_MIN, decodeValueBlock, encodeValueBlock, isValueBlock } from '../../../lib/mifare/value-block';

describe('mifare/value-block', () => {
  it('encodes the NXP datasheet example (1234567 at address 17)', () => {
    assert.equal(encodeValueBlock(1234567, 17).toString('hex').toUpperCase(), '87D612007829EDFF87D6120011EE11EE');
  });

  it('encodes 100 at address 0 as value, ~value, value, 00 FF 00 FF', () => {
    assert.equal(encodeValueBlock(100, 0).toString('hex').toUpperCase(), '640000009BFFFFFF6400000000FF00FF');
  });

  it('round-trips negatives, zero and the int32 extremes at every address', () => {
    const values = [0, 1, -1, 100, -100, 65535, -65536, 2 ** 24, VALUE_MAX, VALUE_MIN, VALUE_MAX - 1, VALUE_MIN + 1];
    for (const value of values) {
      for (let address = 0; address <= 255; address += 17) {
        const block = encodeValueBlock(value, address);
        assert.equal(block.length, 16);
        assert.deepEqual(decodeValueBlock(block), { ok: true, value, address });
        assert.equal(isValueBlock(block), true);
      }
    }
    assert.deepEqual(decodeValueBlock(encodeValueBlock(-1, 255)), { ok: true, value: -1, address: 255 });
    assert.equal(encodeValueBlock(VALUE_MIN, 0).readInt32LE(0), -2147483648);
  });

  it('detects every single corrupted byte (each byte, each bit and its inversion)', () => {
    for (const [value, address] of [[1234567, 17], [-1, 0], [0, 255], [VALUE_MIN, 128]] as const) {
      const good = encodeValueBlock(value, address);
      for (let i = 0; i < 16; i++) {
        for (const mask of [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff]) {
          const bad = Buffer.from(good);
          bad[i] ^= mask;
          const result = decodeValueBlock(bad);
          assert.equal(result.ok, false, `byte ${i} ^ ${mask} went undetected`);
          if (!result.ok) assert.match(result.reason, /byte \d+/);
          assert.equal(isValueBlock(bad), false);
        }
      }
    }
  });

  it('names the byte that broke the redundancy', () => {
    const block = encodeValueBlock(5, 4);
    block[9] ^= 1;
    assert.deepEqual(decodeValueBlock(block), { ok: false, reason: 'byte 9 differs from byte 1' });
    const torn = Buffer.concat([encodeValueBlock(5, 4).subarray(0, 8), encodeValueBlock(6, 4).subarray(8)]);
    assert.equal(decodeValueBlock(torn).ok, false);
  });

  it('refuses blocks of the wrong size and plain data', () => {
    assert.equal(decodeValueBlock(Buffer.alloc(15)).ok, false);
    assert.equal(decodeValueBlock(Buffer.alloc(17)).ok, false);
    assert.equal(isValueBlock(Buffer.alloc(16)), false);
    assert.equal(isValueBlock(Buffer.alloc(16, 0xff)), false);
  });

  it('validates the value and the address', () => {
    for (const value of [VALUE_MAX + 1, VALUE_MIN - 1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => encodeValueBlock(value, 0), (e: unknown) => e instanceof JpayValidationError && e.field === 'value');
    }
    for (const address of [-1, 256, 0.5, Number.NaN]) {
      assert.throws(() => encodeValueBlock(0, address), (e: unknown) => e instanceof JpayValidationError && e.field === 'address');
    }
  });
});
