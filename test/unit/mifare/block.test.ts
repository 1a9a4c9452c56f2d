import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import {
  assertBlock,
  blockFromBase64,
  blockFromHex,
  blockToBase64,
  blockToHex,
} from '../../../lib/mifare/block';

const SAMPLE = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');

describe('mifare/block', () => {
  it('accepts exactly 16 bytes and names the field otherwise', () => {
    assert.doesNotThrow(() => assertBlock(SAMPLE, 'payload'));
    for (const bad of [Buffer.alloc(15), Buffer.alloc(17), Buffer.alloc(0), 'x'.repeat(16), new Uint8Array(16)]) {
      assert.throws(
        () => assertBlock(bad, 'payload'),
        (e: unknown) => e instanceof JpayValidationError && e.field === 'payload',
      );
    }
  });

  it('round-trips hex (upper-case out, either case in)', () => {
    assert.equal(blockToHex(SAMPLE), '00112233445566778899AABBCCDDEEFF');
    assert.deepEqual(blockFromHex('00112233445566778899aabbccddeeff'), SAMPLE);
    for (const bad of ['', '00', '00112233445566778899AABBCCDDEEF', '00112233445566778899AABBCCDDEEFF00', '0011223344556677 8899AABBCCDDEEF', 'G0112233445566778899AABBCCDDEEFF']) {
      assert.throws(() => blockFromHex(bad, 'key'), (e: unknown) => e instanceof JpayValidationError && e.field === 'key');
    }
  });

  it('round-trips Base64 and refuses anything not exactly 16 bytes', () => {
    const b64 = blockToBase64(SAMPLE);
    assert.equal(b64, 'ABEiM0RVZneImaq7zN3u/w==');
    assert.deepEqual(blockFromBase64(b64), SAMPLE);
    assert.deepEqual(blockFromBase64('ABEiM0RVZneImaq7zN3u/w'), SAMPLE, 'padding optional');
    assert.deepEqual(blockFromBase64('\n  ABEiM0RVZneI\n maq7zN3u/w==  '), SAMPLE, 'XML whitespace ignored');
    for (let i = 0; i < 50; i++) {
      const block = Buffer.from(Array.from({ length: 16 }, (_, j) => (i * 37 + j * 11) & 0xff));
      assert.deepEqual(blockFromBase64(blockToBase64(block)), block);
    }
    const bad = [
      '',
      'AAAA',
      Buffer.alloc(15).toString('base64'),
      Buffer.alloc(17).toString('base64'),
      'ABEiM0RVZneImaq7zN3u/x==', // non-zero trailing bits
      'ABEiM0RVZneImaq7zN3u_w==', // base64url alphabet
      'ABEiM0RVZneImaq7zN3u/w=',
    ];
    for (const text of bad) {
      assert.throws(() => blockFromBase64(text), (e: unknown) => e instanceof JpayValidationError && e.field === 'payload', text);
    }
  });

  it('refuses to encode a wrong-sized buffer', () => {
    assert.throws(() => blockToHex(Buffer.alloc(8)), JpayValidationError);
    assert.throws(() => blockToBase64(Buffer.alloc(32)), JpayValidationError);
  });
});
