/**
 * parsePacket reads the common small packet (`<root><name>text</name>…</root>`) in one scan
 * (parseFlatPacket) and everything else through the strict check and fast-xml-parser
 * (parseAnyPacket). The short cut must never change a result: whatever it accepts, the full
 * path accepts and reads the same way; whatever the full path refuses, it refuses too.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Packet } from '../../../lib/codec/packet';
import { parseAnyPacket, parseFlatPacket, parsePacket } from '../../../lib/codec/xml';
import { anyPacketText, FIXTURE_TEXTS, fixtureText, mutatedText, xmlish } from '../../fuzz/mutate';

/** A packet, or the message it was refused with. */
function outcome(parse: (text: string) => Packet, text: string): Packet | string {
  try {
    return parse(text);
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

const full = (text: string): Packet | string => outcome(parseAnyPacket, text);

/** The short cut's answer is the full path's, or it stands aside. */
function assertSameAsFullPath(text: string): boolean {
  const flat = parseFlatPacket(text);
  if (flat === undefined) return false;
  assert.deepEqual(flat, full(text), JSON.stringify(text));
  return true;
}

const NAMES = ['status', 'token', 'encrypted', 'line', 't', 'error', 'tag', 'card-type', 'constructor', '__proto__', 'a', 'B2', 'x-y', 'ok'];
const TEXT_CHARS = ['o', 'k', '0', '9', ' ', '  ', '&amp;', '&', '<', '>', ']]>', '\t', '\n', '\r', '\u0001', 'é', '\u{1F600}', '"', "'", '=', '/', '+'];
const SPACE = ['', '', '', ' ', '\n', '\r\n\t'];

/** Flat-looking packets: the shapes the short cut reads, and near misses of them. */
const flatish = fc
  .tuple(
    fc.constantFrom('testconnection', 'encrypted-data', 'keepalive', 'line', 'constructor', 'a'),
    fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.array(fc.constantFrom(...TEXT_CHARS), { maxLength: 4 }), fc.constantFrom(...SPACE)), {
      maxLength: 4,
    }),
    fc.constantFrom('', '', '', ' ', '\n', 'x', '<a/>', '<?pi?>'),
  )
  .map(
    ([root, children, tail]) =>
      `<${root}>${children.map(([name, text, space]) => `${space}<${name}>${text.join('')}</${name}>`).join('')}</${root}>${tail}`,
  );

describe('codec/xml: the flat short cut', () => {
  it('reads the common answers and messages (a status, a token, an encrypted body, an empty root)', () => {
    for (const text of [
      '<testconnection><status>ok</status></testconnection>',
      '<login><status>ok</status><token>0123456789abcdef</token></login>',
      '<testconnection><encrypted>AAECAwQFBgcICQoLDA0ODw+/=</encrypted></testconnection>',
      '<encrypted-data>\n  <status>ok</status>\n</encrypted-data>',
      '<keepalive></keepalive>',
      '<display><text>Insert card</text><code>21</code></display>',
    ]) {
      assert.equal(assertSameAsFullPath(text), true, text);
    }
  });

  it('stands aside for attributes, repeated or duplicate children, entities, edge white space, non-ASCII and prototype names', () => {
    for (const text of [
      '<login server-handshake="x"><status>ok</status></login>',
      '<r><line>a</line></r>',
      '<r><status>a</status><status>b</status></r>',
      '<r><v>a &amp; b</v></r>',
      '<r><v> a</v></r>',
      '<r><v>é</v></r>',
      '<r><constructor>x</constructor></r>',
      '<constructor><v>x</v></constructor>',
      '<r><v/></r>',
      '<r>text</r>',
      '<?xml version="1.0"?><r></r>',
      '<r></r> ',
    ]) {
      assert.equal(parseFlatPacket(text), undefined, text);
      assert.deepEqual(outcome(parsePacket, text), full(text), text);
    }
  });

  it('never disagrees with the full path (seeded: flat shapes, their mutants, vendor examples, XML soup)', () => {
    const corpus = [
      ...FIXTURE_TEXTS.map((f) => f.text),
      ...fc.sample(flatish, { numRuns: 6000, seed: 20261203 }),
      ...fc.sample(mutatedText(flatish), { numRuns: 6000, seed: 15 }),
      ...fc.sample(anyPacketText, { numRuns: 3000, seed: 20261128 }),
      ...fc.sample(mutatedText(fixtureText), { numRuns: 2000, seed: 7 }),
      ...fc.sample(xmlish, { numRuns: 2000, seed: 11 }),
    ];
    let taken = 0;
    for (const text of corpus) if (assertSameAsFullPath(text)) taken++;
    // The corpus does reach the short cut (and not only its refusals).
    assert.ok(taken > 300, `the short cut read only ${taken} texts`);
  });
});
