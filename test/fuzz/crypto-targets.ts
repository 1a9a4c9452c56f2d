/**
 * lib/codec/crypto targets: decryptPacket on random and tampered `<encrypted>` blocks (and
 * on well-sealed blocks of arbitrary plaintext), and the handshake decoders on random and
 * mutated handshakes. Only JpayProtocolError 'bad-crypto' / 'bad-handshake' may come out;
 * what decrypts is the packet that was sealed.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CLIENT_HANDSHAKE_LENGTH,
  decodeClientHandshake,
  decodeServerHandshake,
  decryptPacket,
  deriveSessionKey,
  encodeClientHandshake,
  encodeServerHandshake,
  encryptBytes,
  encryptPacket,
  generateEphemeralKeyPair,
} from '../../lib/codec/crypto';
import type { Packet, XmlElement } from '../../lib/codec/packet';
import { assertPrototypesIntact, expectTyped, isProtocolError, type ErrorRecorder, type FuzzTarget } from './kit';
import { FIXTURE_PACKETS, fixtureText, mutatedBytes, mutatedText, XML_TOKENS } from './mutate';
import { assertPacketShape } from './xml-targets';

// One session key and one key pair for the whole run: the targets vary the data, not the keys.
const KEY = Buffer.alloc(32, 0x5a);
const PAIR = generateEphemeralKeyPair();
const SEALED = FIXTURE_PACKETS.map((p) => ({ original: p, sealed: encryptPacket(p, KEY) }));

const sealedText = (p: Packet): string => String(p.body.encrypted);
const withBlock = (name: string, encrypted: XmlElement['encrypted'] | undefined): Packet => ({
  name,
  attrs: {},
  body: encrypted === undefined ? {} : { encrypted },
});

interface DecryptInput {
  packet: Packet;
  key: Buffer;
  /** The packet that was sealed when the block is intact, for the round-trip check. */
  original?: Packet;
}

const anyKey: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(KEY) },
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
);

const randomBlock: fc.Arbitrary<XmlElement['encrypted'] | undefined> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64')),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom('', '====', 'AAAA', ' ', undefined),
  fc.constant<XmlElement>({ '#text': 'AAAA', '@x': '1' }),
  fc.constant<string[]>(['AAAA', 'BBBB']),
  fc.constant<XmlElement>({}),
);

function checkDecrypt({ packet, key, original }: DecryptInput, seen: ErrorRecorder): void {
  expectTyped('decryptPacket', () => decryptPacket(packet, key), isProtocolError('bad-crypto'), seen, (out) => {
    assertPacketShape(out);
    assert.equal(out.name, packet.name, 'the root stays');
    if (original && key.equals(KEY)) assert.deepEqual(out.body, original.body, 'what decrypts is what was sealed');
  });
  assertPrototypesIntact('decryptPacket');
}

export const decryptRandomTarget: FuzzTarget<DecryptInput> = {
  name: 'crypto: decrypt random',
  description: "random <encrypted> blocks (base64 or not, elements, arrays) under random keys of any length: only JpayProtocolError('bad-crypto')",
  arbitrary: fc.record({ packet: fc.tuple(fc.constantFrom('transaction', 'login', 'card', 'x'), randomBlock).map(([n, b]) => withBlock(n, b)), key: anyKey }),
  check: checkDecrypt,
};

export const decryptTamperedTarget: FuzzTarget<DecryptInput> = {
  name: 'crypto: decrypt tampered',
  description: "sealed example packets with the sealed bytes or their base64 mutated, some under the wrong key: the original packet or 'bad-crypto'",
  arbitrary: fc.tuple(fc.nat({ max: SEALED.length - 1 }), fc.nat({ max: 2 }), anyKey).chain(([i, how, key]) => {
    const { original, sealed } = SEALED[i];
    const text = sealedText(sealed);
    const bytes = Buffer.from(text, 'base64');
    const block: fc.Arbitrary<string> =
      how === 0
        ? mutatedBytes(fc.constant(bytes)).map((b) => b.toString('base64'))
        : how === 1
          ? mutatedText(fc.constant(text))
          : fc.constant(text);
    return block.map((b) => ({ packet: withBlock(sealed.name, b), key, original }));
  }),
  check: checkDecrypt,
};

export const decryptPlaintextTarget: FuzzTarget<DecryptInput> = {
  name: 'crypto: sealed garbage',
  description: "arbitrary plaintexts (mutated <encrypted-data> texts, token soup) sealed with the right key: a packet or 'bad-crypto'",
  arbitrary: fc
    .oneof(
      mutatedText(fixtureText.map((t) => t.replace(/^<([a-z-]+)/, '<encrypted-data').replace(/<\/([a-z-]+)>\s*$/, '</encrypted-data>'))),
      fc.array(fc.constantFrom(...XML_TOKENS), { maxLength: 20 }).map((parts) => `<encrypted-data>${parts.join('')}</encrypted-data>`),
      fc.string({ unit: 'binary', maxLength: 100 }),
    )
    .map((plaintext) => ({ packet: withBlock('transaction', encryptBytes(KEY, Buffer.from(plaintext, 'utf8')).toString('base64')), key: KEY })),
  check: checkDecrypt,
};

type Side = 'client' | 'server';

const VALID = {
  client: Buffer.from(encodeClientHandshake(PAIR.publicKey), 'base64'),
  server: Buffer.from(encodeServerHandshake(PAIR.publicKey), 'base64'),
};

const handshakeText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('base64')),
  // The right header and length, a random point: almost never on the curve.
  fc.tuple(fc.constantFrom(VALID.client.subarray(0, 5), VALID.server.subarray(0, 2)), fc.uint8Array({ minLength: 64, maxLength: 64 })).map(([head, rest]) =>
    Buffer.concat([head, Buffer.from(rest)]).toString('base64'),
  ),
  fc.constantFrom(VALID.client, VALID.server).chain((valid) => mutatedBytes(fc.constant(valid)).map((b) => b.toString('base64'))),
  fc.constantFrom(VALID.client, VALID.server).chain((valid) => mutatedText(fc.constant(valid.toString('base64')))),
  fc.constantFrom(VALID.client.toString('base64'), VALID.server.toString('base64')),
);

function checkHandshake([side, text]: [Side, string], seen: ErrorRecorder): void {
  const decode = side === 'client' ? decodeClientHandshake : decodeServerHandshake;
  expectTyped(`decode${side}Handshake`, () => decode(text), isProtocolError('bad-handshake'), seen, (point) => {
    assert.ok(point instanceof Uint8Array && point.length === CLIENT_HANDSHAKE_LENGTH - 4, 'a 65-byte point');
    expectTyped('deriveSessionKey', () => deriveSessionKey(PAIR.privateKey, point), isProtocolError('bad-handshake'), seen, (key) =>
      assert.equal(key.length, 32),
    );
  });
}

export const handshakeTarget: FuzzTarget<[Side, string]> = {
  name: 'crypto: handshakes',
  description: "random and mutated client/server handshakes: a valid secp256r1 point or JpayProtocolError('bad-handshake')",
  arbitrary: fc.tuple(fc.constantFrom<Side>('client', 'server'), handshakeText),
  check: checkHandshake,
};
