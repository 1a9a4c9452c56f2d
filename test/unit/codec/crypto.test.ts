import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createECDH, randomBytes } from 'node:crypto';
import {
  CLIENT_HANDSHAKE_LENGTH,
  SERVER_HANDSHAKE_LENGTH,
  decodeClientHandshake,
  decodeServerHandshake,
  decryptPacket,
  deriveSessionKey,
  encodeClientHandshake,
  encodeServerHandshake,
  encryptPacket,
  generateEphemeralKeyPair,
  isEncryptedPacket,
} from '../../../lib/codec/crypto';
import { childText, packet, Packet } from '../../../lib/codec/packet';
import { JpayProtocolError } from '../../../lib/errors';

function protocolError(code: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof JpayProtocolError, `expected JpayProtocolError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}
const badHandshake = protocolError('bad-handshake');
const badCrypto = protocolError('bad-crypto');

function b64(bytes: Uint8Array | number[]): string {
  return Buffer.from(bytes).toString('base64');
}

/** The point with its last byte changed: same X, a Y that is (almost surely) off the curve. */
function offCurve(publicKey: Uint8Array): Uint8Array {
  const point = Uint8Array.from(publicKey);
  point[64] ^= 0x01;
  return point;
}

const LOGIN_RESPONSE = packet(
  'login',
  { status: 'ok', token: '392480923040932923' },
  { 'server-handshake': encodeServerHandshake(generateEphemeralKeyPair().publicKey) },
);

function sealedOf(p: Packet): Buffer {
  const text = childText(p.body, 'encrypted');
  assert.ok(text, 'an <encrypted> child');
  return Buffer.from(text, 'base64');
}

function withSealed(p: Packet, sealed: Buffer): Packet {
  return packet(p.name, { encrypted: sealed.toString('base64') }, { ...p.attrs });
}

describe('codec/crypto', () => {
  describe('key pairs', () => {
    it('generates a 32-byte private key and its uncompressed secp256r1 public point', () => {
      const { privateKey, publicKey } = generateEphemeralKeyPair();
      assert.equal(privateKey.length, 32);
      assert.equal(publicKey.length, 65);
      assert.equal(publicKey[0], 0x04);
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(Buffer.from(privateKey));
      assert.deepEqual(Buffer.from(publicKey), ecdh.getPublicKey());
    });

    it('generates a different key pair each time', () => {
      assert.notDeepEqual(generateEphemeralKeyPair().privateKey, generateEphemeralKeyPair().privateKey);
    });
  });

  describe('client handshake (69 bytes: 03 00 17 41 04 X Y)', () => {
    it('matches the vendor example prefix AwAXQQRz', () => {
      assert.deepEqual([...Buffer.from('AwAXQQRz', 'base64')], [0x03, 0x00, 0x17, 0x41, 0x04, 0x73]);
    });

    it('encodes the RFC 4492 ServerECDHParams form and decodes back to the point', () => {
      const { publicKey } = generateEphemeralKeyPair();
      const encoded = encodeClientHandshake(publicKey);
      const bytes = Buffer.from(encoded, 'base64');
      assert.equal(CLIENT_HANDSHAKE_LENGTH, 69);
      assert.equal(bytes.length, 69);
      assert.deepEqual([...bytes.subarray(0, 5)], [0x03, 0x00, 0x17, 0x41, 0x04]);
      assert.deepEqual(bytes.subarray(4), Buffer.from(publicKey));
      assert.ok(encoded.startsWith('AwAXQQ'));
      assert.deepEqual(decodeClientHandshake(encoded), publicKey);
    });

    it('refuses a wrong length, a wrong header, a compressed point, bad base64 and an off-curve point', () => {
      const { publicKey } = generateEphemeralKeyPair();
      const good = Buffer.from(encodeClientHandshake(publicKey), 'base64');
      const compressed = createECDH('prime256v1');
      compressed.generateKeys();
      const cases: Record<string, string> = {
        'one byte short': b64(good.subarray(0, 68)),
        'one byte long': b64(Buffer.concat([good, Buffer.from([0])])),
        empty: '',
        'wrong curve id': b64(Buffer.concat([Buffer.from([0x03, 0x00, 0x18]), good.subarray(3)])),
        'wrong curve type': b64(Buffer.concat([Buffer.from([0x01]), good.subarray(1)])),
        'wrong point length': b64(Buffer.concat([good.subarray(0, 3), Buffer.from([0x40]), good.subarray(4)])),
        'the server form': encodeServerHandshake(publicKey),
        'compressed point in the uncompressed slot': b64(
          Buffer.concat([good.subarray(0, 4), compressed.getPublicKey(undefined, 'compressed'), Buffer.alloc(32)]),
        ),
        'compressed point, correctly sized': b64(
          Buffer.concat([Buffer.from([0x03, 0x00, 0x17, 0x21]), compressed.getPublicKey(undefined, 'compressed')]),
        ),
        'hybrid point prefix 06': b64(Buffer.concat([good.subarray(0, 4), Buffer.from([0x06]), good.subarray(5)])),
        'off-curve point': b64(Buffer.concat([good.subarray(0, 4), offCurve(publicKey)])),
        'all-zero point': b64(Buffer.concat([good.subarray(0, 4), Buffer.from([0x04]), Buffer.alloc(64)])),
        'junk characters that Buffer.from would skip': `${b64(good).slice(0, 10)}*${b64(good).slice(10)}`,
        'line-wrapped with junk': `${b64(good).slice(0, 40)}\n.${b64(good).slice(40)}`,
        'plain garbage': 'not a handshake at all!',
      };
      for (const [label, value] of Object.entries(cases)) {
        assert.throws(() => decodeClientHandshake(value), badHandshake, label);
      }
    });
  });

  describe('server handshake (66 bytes: 41 04 X Y)', () => {
    it('matches the vendor example prefix QQRi', () => {
      assert.deepEqual([...Buffer.from('QQRi', 'base64')], [0x41, 0x04, 0x62]);
    });

    it('encodes a length-prefixed uncompressed point and decodes back', () => {
      const { publicKey } = generateEphemeralKeyPair();
      const encoded = encodeServerHandshake(publicKey);
      const bytes = Buffer.from(encoded, 'base64');
      assert.equal(SERVER_HANDSHAKE_LENGTH, 66);
      assert.equal(bytes.length, 66);
      assert.deepEqual([...bytes.subarray(0, 2)], [0x41, 0x04]);
      assert.deepEqual(bytes.subarray(1), Buffer.from(publicKey));
      assert.ok(encoded.startsWith('QQ'));
      assert.deepEqual(decodeServerHandshake(encoded), publicKey);
    });

    it('refuses a wrong length, a wrong header, the client form and an off-curve point', () => {
      const { publicKey } = generateEphemeralKeyPair();
      const good = Buffer.from(encodeServerHandshake(publicKey), 'base64');
      const cases: Record<string, string> = {
        'bare point (65 bytes)': b64(publicKey),
        'one byte long': b64(Buffer.concat([good, Buffer.from([0])])),
        'wrong length byte': b64(Buffer.concat([Buffer.from([0x40]), good.subarray(1)])),
        'the client form': encodeClientHandshake(publicKey),
        'compressed prefix': b64(Buffer.concat([Buffer.from([0x41, 0x02]), good.subarray(2)])),
        'off-curve point': b64(Buffer.concat([Buffer.from([0x41]), offCurve(publicKey)])),
      };
      for (const [label, value] of Object.entries(cases)) {
        assert.throws(() => decodeServerHandshake(value), badHandshake, label);
      }
    });
  });

  describe('deriveSessionKey (ECDH)', () => {
    it('gives both sides the same 32-byte key, through the handshake encodings', () => {
      const client = generateEphemeralKeyPair();
      const server = generateEphemeralKeyPair();
      const serverSeesClient = decodeClientHandshake(encodeClientHandshake(client.publicKey));
      const clientSeesServer = decodeServerHandshake(encodeServerHandshake(server.publicKey));
      const serverKey = deriveSessionKey(server.privateKey, serverSeesClient);
      const clientKey = deriveSessionKey(client.privateKey, clientSeesServer);
      assert.equal(clientKey.length, 32);
      assert.deepEqual(clientKey, serverKey);
    });

    it('equals node:crypto createECDH("prime256v1").computeSecret for the same keys', () => {
      for (let i = 0; i < 5; i++) {
        const ours = generateEphemeralKeyPair();
        const node = createECDH('prime256v1');
        node.generateKeys();
        const fromOurs = deriveSessionKey(ours.privateKey, node.getPublicKey());
        assert.deepEqual(fromOurs, node.computeSecret(Buffer.from(ours.publicKey)));
        const mirror = createECDH('prime256v1');
        mirror.setPrivateKey(Buffer.from(ours.privateKey));
        assert.deepEqual(fromOurs, mirror.computeSecret(node.getPublicKey()));
      }
    });

    it('refuses a peer point that is not on the curve', () => {
      const own = generateEphemeralKeyPair();
      const peer = generateEphemeralKeyPair();
      assert.throws(() => deriveSessionKey(own.privateKey, offCurve(peer.publicKey)), badHandshake);
      assert.throws(() => deriveSessionKey(own.privateKey, Uint8Array.from([0x04, ...new Uint8Array(64)])), badHandshake);
      assert.throws(() => deriveSessionKey(own.privateKey, new Uint8Array(0)), badHandshake);
    });
  });

  describe('encryptPacket / decryptPacket (AES-256-GCM, tag ‖ iv ‖ ciphertext)', () => {
    const key = deriveSessionKey(generateEphemeralKeyPair().privateKey, generateEphemeralKeyPair().publicKey);

    it('keeps the root name and attributes and replaces the children by one <encrypted>', () => {
      const sealed = encryptPacket(LOGIN_RESPONSE, key);
      assert.equal(sealed.name, 'login');
      assert.deepEqual(sealed.attrs, LOGIN_RESPONSE.attrs);
      assert.deepEqual(Object.keys(sealed.body), ['encrypted']);
      assert.match(childText(sealed.body, 'encrypted') ?? '', /^[A-Za-z0-9+/]+=*$/);
      assert.ok(isEncryptedPacket(sealed));
      assert.ok(!isEncryptedPacket(LOGIN_RESPONSE));
    });

    it('round-trips, Cyrillic and repeated elements included', () => {
      assert.deepEqual(decryptPacket(encryptPacket(LOGIN_RESPONSE, key), key), LOGIN_RESPONSE);
      const receipt = packet('transaction', {
        status: 'ok',
        receipt: { header: { line: ['ООО «Ромашка»', 'ул. Ленина, 1 & <2>'] }, seq: '000009' },
      });
      assert.deepEqual(decryptPacket(encryptPacket(receipt, key), key), receipt);
    });

    it('seals the UTF-8 of <encrypted-data>…children…</encrypted-data> as tag(16) ‖ iv(16) ‖ ciphertext', () => {
      const sealed = sealedOf(encryptPacket(LOGIN_RESPONSE, key));
      const tag = sealed.subarray(0, 16);
      const iv = sealed.subarray(16, 32);
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([decipher.update(sealed.subarray(32)), decipher.final()]).toString('utf8');
      assert.equal(plaintext, '<encrypted-data><status>ok</status><token>392480923040932923</token></encrypted-data>');
    });

    it('decrypts a block sealed independently with node:crypto in that layout', () => {
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
      const text = '<encrypted-data><status>ok</status><token>Т0кен</token></encrypted-data>';
      const ciphertext = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
      const p = withSealed(packet('login', {}, { 'server-handshake': 'QQRi' }), Buffer.concat([cipher.getAuthTag(), iv, ciphertext]));
      assert.deepEqual(decryptPacket(p, key), packet('login', { status: 'ok', token: 'Т0кен' }, { 'server-handshake': 'QQRi' }));
    });

    it('uses a fresh IV for every packet', () => {
      const a = sealedOf(encryptPacket(LOGIN_RESPONSE, key));
      const b = sealedOf(encryptPacket(LOGIN_RESPONSE, key));
      assert.notDeepEqual(a, b);
      assert.notDeepEqual(a.subarray(16, 32), b.subarray(16, 32));
    });

    describe('refuses with bad-crypto', () => {
      const good = encryptPacket(LOGIN_RESPONSE, key);
      const sealed = sealedOf(good);
      const flip = (index: number): Buffer => {
        const copy = Buffer.from(sealed);
        copy[index] ^= 0x01;
        return copy;
      };
      const cases: Record<string, () => Packet> = {
        'tampered ciphertext': () => withSealed(good, flip(40)),
        'tampered last ciphertext byte': () => withSealed(good, flip(sealed.length - 1)),
        'tampered tag': () => withSealed(good, flip(0)),
        'tampered iv': () => withSealed(good, flip(20)),
        'truncated ciphertext': () => withSealed(good, sealed.subarray(0, sealed.length - 1)),
        'block shorter than tag and iv': () => withSealed(good, sealed.subarray(0, 31)),
        'empty block': () => withSealed(good, Buffer.alloc(0)),
        'no <encrypted> child': () => LOGIN_RESPONSE,
      };
      for (const [label, make] of Object.entries(cases)) {
        it(label, () => assert.throws(() => decryptPacket(make(), key), badCrypto));
      }

      it('wrong key', () => {
        const other = deriveSessionKey(generateEphemeralKeyPair().privateKey, generateEphemeralKeyPair().publicKey);
        assert.throws(() => decryptPacket(good, other), badCrypto);
      });

      it('a key that is not 32 bytes', () => {
        assert.throws(() => decryptPacket(good, key.subarray(0, 16)), badCrypto);
        assert.throws(() => encryptPacket(LOGIN_RESPONSE, Buffer.alloc(31)), badCrypto);
      });

      it('an authentic block that is not XML, or not <encrypted-data>', () => {
        for (const text of ['not xml', '<other><status>ok</status></other>']) {
          const iv = randomBytes(16);
          const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
          const ciphertext = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
          const p = withSealed(good, Buffer.concat([cipher.getAuthTag(), iv, ciphertext]));
          assert.throws(() => decryptPacket(p, key), badCrypto, text);
        }
      });
    });
  });
});
