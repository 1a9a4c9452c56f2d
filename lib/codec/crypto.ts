/**
 * JPAY command encryption (vendor document §9, PROTOCOL.md §8): ECDHE on secp256r1,
 * the raw x-coordinate of the shared point used directly as the AES-256-GCM key, and
 * `tag(16) ‖ iv(16) ‖ ciphertext` in base64 inside `<encrypted>`.
 *
 * Key generation and the shared secret use node:crypto's ECDH (OpenSSL, ≈ 30× faster
 * than @noble/curves: docs/benchmarks.md); @noble/curves validates a received point.
 */
import { createCipheriv, createDecipheriv, createECDH, randomBytes, type ECDH } from 'node:crypto';
import type * as Nist from '@noble/curves/nist.js';
import { JpayProtocolError } from '../errors';
import { onFirstUse } from '../lazy';
import { Packet, childText } from './packet';
import { parsePacket, serializePacket } from './xml';

// Loaded at the first handshake: most sessions are not encrypted, and @noble/curves (an
// ES module) takes longer to load than the whole client.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nist = onFirstUse(() => require('@noble/curves/nist.js') as typeof Nist);

const POINT_LENGTH = 65;
/** RFC 4492 ServerECDHParams header: curve_type named_curve(3), secp256r1(23), point length. */
const CLIENT_HANDSHAKE_HEADER = Buffer.from([0x03, 0x00, 0x17, POINT_LENGTH]);
const SERVER_HANDSHAKE_HEADER = Buffer.from([POINT_LENGTH]);
export const CLIENT_HANDSHAKE_LENGTH = CLIENT_HANDSHAKE_HEADER.length + POINT_LENGTH; // 69
export const SERVER_HANDSHAKE_LENGTH = SERVER_HANDSHAKE_HEADER.length + POINT_LENGTH; // 66
const TAG_LENGTH = 16;
const IV_LENGTH = 16;
const KEY_LENGTH = 32;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
export const ENCRYPTED_ELEMENT = 'encrypted';
export const ENCRYPTED_DATA_ELEMENT = 'encrypted-data';

export interface EphemeralKeyPair {
  readonly privateKey: Uint8Array;
  /** Uncompressed point: 0x04 ‖ X(32) ‖ Y(32). */
  readonly publicKey: Uint8Array;
}

const CURVE = 'prime256v1';
const SCALAR_LENGTH = 32;
/** The ECDH object that generated a pair, so deriving needs no second scalar multiplication. */
const generators = new WeakMap<Uint8Array, ECDH>();

export function generateEphemeralKeyPair(): EphemeralKeyPair {
  const ecdh = createECDH(CURVE);
  const publicKey = new Uint8Array(ecdh.generateKeys());
  // getPrivateKey() drops leading zero bytes; the pair always carries 32.
  const scalar = ecdh.getPrivateKey();
  const privateKey = new Uint8Array(SCALAR_LENGTH);
  privateKey.set(scalar, SCALAR_LENGTH - scalar.length);
  generators.set(privateKey, ecdh);
  return { privateKey, publicKey };
}

/**
 * Strict base64: Buffer.from() silently skips characters outside the alphabet, so a
 * mangled attribute could otherwise still decode to a plausible key.
 */
function strictBase64(text: string, side: string): Buffer {
  const compact = String(text).replace(/\s+/g, '');
  const bytes = Buffer.from(compact, 'base64');
  if (compact.length % 4 !== 0 || !BASE64.test(compact) || bytes.toString('base64') !== compact) {
    throw new JpayProtocolError('bad-handshake', `${side} handshake is not valid base64`);
  }
  return bytes;
}

function decodeHandshake(base64: string, header: Buffer, side: string): Uint8Array {
  const bytes = strictBase64(base64, side);
  if (bytes.length !== header.length + POINT_LENGTH || !bytes.subarray(0, header.length).equals(header)) {
    throw new JpayProtocolError('bad-handshake', `${side} handshake must be ${header.length + POINT_LENGTH} bytes starting ${header.toString('hex')}`);
  }
  const point = bytes.subarray(header.length);
  if (point[0] !== 0x04) throw new JpayProtocolError('bad-handshake', `${side} handshake point must be uncompressed`);
  try {
    nist().p256.Point.fromBytes(point).assertValidity();
  } catch (error) {
    throw new JpayProtocolError('bad-handshake', `${side} handshake key is not a valid secp256r1 point`, { cause: error });
  }
  return new Uint8Array(point);
}

export function encodeClientHandshake(publicKey: Uint8Array): string {
  return Buffer.concat([CLIENT_HANDSHAKE_HEADER, publicKey]).toString('base64');
}

export function decodeClientHandshake(base64: string): Uint8Array {
  return decodeHandshake(base64, CLIENT_HANDSHAKE_HEADER, 'client');
}

export function encodeServerHandshake(publicKey: Uint8Array): string {
  return Buffer.concat([SERVER_HANDSHAKE_HEADER, publicKey]).toString('base64');
}

export function decodeServerHandshake(base64: string): Uint8Array {
  return decodeHandshake(base64, SERVER_HANDSHAKE_HEADER, 'server');
}

/** ECDH: the 32-byte x-coordinate of privateKey × peerPublicKey. The peer point is validated. */
export function deriveSessionKey(privateKey: Uint8Array, peerPublicKey: Uint8Array): Buffer {
  let ecdh = generators.get(privateKey);
  try {
    if (!ecdh) {
      ecdh = createECDH(CURVE);
      ecdh.setPrivateKey(privateKey);
    }
    // computeSecret checks the point is on the curve and returns the x-coordinate.
    return ecdh.computeSecret(peerPublicKey);
  } catch (error) {
    throw new JpayProtocolError('bad-handshake', 'peer public key is not a valid secp256r1 point', { cause: error });
  }
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_LENGTH) {
    throw new JpayProtocolError('bad-crypto', `session key must be ${KEY_LENGTH} bytes`);
  }
}

export function encryptBytes(key: Buffer, plaintext: Buffer): Buffer {
  checkKey(key);
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([cipher.getAuthTag(), iv, ciphertext]);
}

export function decryptBytes(key: Buffer, sealed: Buffer): Buffer {
  checkKey(key);
  if (sealed.length < TAG_LENGTH + IV_LENGTH) {
    throw new JpayProtocolError('bad-crypto', `encrypted block of ${sealed.length} bytes is shorter than tag and IV`);
  }
  const tag = sealed.subarray(0, TAG_LENGTH);
  const iv = sealed.subarray(TAG_LENGTH, TAG_LENGTH + IV_LENGTH);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(TAG_LENGTH + IV_LENGTH)), decipher.final()]);
  } catch (error) {
    throw new JpayProtocolError('bad-crypto', 'encrypted block failed authentication', { cause: error });
  }
}

export function isEncryptedPacket(p: Packet): boolean {
  return Object.prototype.hasOwnProperty.call(p.body, ENCRYPTED_ELEMENT);
}

/**
 * A sealed or opened packet with the IV of its block: 16 bytes as a latin1 string, what a
 * session remembers to refuse a copy (only an authenticated block's IV means anything).
 */
export interface SealedPacket {
  packet: Packet;
  iv: string;
}

const ivOf = (sealed: Buffer): string => sealed.toString('latin1', TAG_LENGTH, TAG_LENGTH + IV_LENGTH);

/** Replace a packet's children by `<encrypted>`; root name and attributes stay. */
export function sealPacket(p: Packet, key: Buffer): SealedPacket {
  const inner = serializePacket({ name: ENCRYPTED_DATA_ELEMENT, attrs: {}, body: p.body });
  const sealed = encryptBytes(key, Buffer.from(inner, 'utf8'));
  return { packet: { name: p.name, attrs: p.attrs, body: { [ENCRYPTED_ELEMENT]: sealed.toString('base64') } }, iv: ivOf(sealed) };
}

/** The inverse of sealPacket; a tampered or foreign block is a bad-crypto error. */
export function openPacket(p: Packet, key: Buffer): SealedPacket {
  const text = childText(p.body, ENCRYPTED_ELEMENT);
  if (text === undefined) throw new JpayProtocolError('bad-crypto', `<${p.name}> has no <encrypted> block`);
  const sealed = Buffer.from(text, 'base64');
  const plaintext = decryptBytes(key, sealed);
  let inner: Packet;
  try {
    inner = parsePacket(plaintext.toString('utf8'));
  } catch (error) {
    throw new JpayProtocolError('bad-crypto', 'decrypted block is not valid XML', { cause: error });
  }
  if (inner.name !== ENCRYPTED_DATA_ELEMENT) {
    throw new JpayProtocolError('bad-crypto', `decrypted block must be <${ENCRYPTED_DATA_ELEMENT}>, got <${inner.name}>`);
  }
  return { packet: { name: p.name, attrs: p.attrs, body: inner.body }, iv: ivOf(sealed) };
}

export function encryptPacket(p: Packet, key: Buffer): Packet {
  return sealPacket(p, key).packet;
}

export function decryptPacket(p: Packet, key: Buffer): Packet {
  return openPacket(p, key).packet;
}
