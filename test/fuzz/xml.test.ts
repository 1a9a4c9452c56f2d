/** Fuzz (short, CI): parsePacket on random and mutated text. The long run is scripts/fuzz.ts. */
import assert from 'node:assert/strict';
import { parsePacket } from '../../lib/codec/xml';
import { JpayProtocolError } from '../../lib/errors';
import { assertPrototypesIntact, runTarget } from './kit';
import { xmlMutatedTarget, xmlRandomTarget } from './xml-targets';

describe('fuzz: parsePacket', function () {
  this.timeout(30_000);

  it('random text and bytes: a Packet or bad-xml, no built-in prototype touched', () => {
    const stats = runTarget(xmlRandomTarget, 1500);
    assert.equal(stats.inputs, 1500);
    assert.ok((stats.errors.get('JpayProtocolError:bad-xml') ?? 0) > 0);
    assertPrototypesIntact('after the run');
  });

  it('mutated vendor examples: a well-formed Packet or bad-xml, no built-in prototype touched', () => {
    const stats = runTarget(xmlMutatedTarget, 1500);
    assert.equal(stats.inputs, 1500);
    const parsed = 1500 - (stats.errors.get('JpayProtocolError:bad-xml') ?? 0);
    assert.ok(parsed > 50, `some mutants still parse (${parsed}), so the packet checks run`);
  });

  // Found by this fuzzer: the validator trimmed U+2028/U+00A0/U+FEFF after `<` off the tag
  // name and the parser then named the element "" (even with a mismatched end tag).
  for (const text of ['<\u2028a/>', '<\u00a0transaction>x</transaction>', '<a><\u2028b>1</\u2028b></a>', '<\ufeffa/>']) {
    it(`refuses odd whitespace after '<': ${JSON.stringify(text)}`, () => {
      assert.throws(() => parsePacket(text), (e: unknown) => e instanceof JpayProtocolError && e.code === 'bad-xml');
    });
  }
});
