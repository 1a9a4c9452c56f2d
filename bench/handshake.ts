/**
 * Measurement 4 — handshake: one side of the §9 ECDHE on secp256r1 (a fresh key pair, the
 * peer's point decoded and validated, the shared x-coordinate) with @noble/curves alone vs.
 * node:crypto's createECDH('prime256v1') on the same curve. The node:crypto side is the
 * library's own path (lib/codec/crypto.ts: node:crypto ECDH, the received point checked
 * with @noble/curves), so the ratio shows what the library saves.
 */
import { p256 } from '@noble/curves/nist.js';
import { createECDH } from 'node:crypto';
import { decodeServerHandshake, deriveSessionKey, encodeServerHandshake, generateEphemeralKeyPair } from '../dist/lib/codec/crypto';
import { interleave, timeSync, type Comparison } from './stats';

/** Which implementation lib/codec/crypto.ts uses for key pairs and the shared secret. */
export const LIBRARY_ECDH = 'node:crypto';

export interface HandshakeOptions {
  iterations: number;
  rounds: number;
}

export interface HandshakeResult {
  /** µs per handshake side: subject @noble/curves, baseline node:crypto (the library). */
  comparison: Comparison;
  /** Both implementations derived the same key from the same private key. */
  agree: boolean;
  /** The implementation the library uses. */
  library: typeof LIBRARY_ECDH;
}

export async function benchHandshake(options: HandshakeOptions): Promise<HandshakeResult> {
  const peer = generateEphemeralKeyPair();
  const peerHandshake = encodeServerHandshake(peer.publicKey);

  const noble = (): Buffer => {
    const privateKey = p256.utils.randomSecretKey();
    p256.getPublicKey(privateKey, false);
    const point = Buffer.from(peerHandshake, 'base64').subarray(1);
    p256.Point.fromBytes(point).assertValidity();
    return Buffer.from(p256.getSharedSecret(privateKey, point, true).subarray(1));
  };
  const library = (): Buffer => {
    const pair = generateEphemeralKeyPair();
    return deriveSessionKey(pair.privateKey, decodeServerHandshake(peerHandshake));
  };

  const mine = p256.utils.randomSecretKey();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(mine));
  const nobleKey = Buffer.from(p256.getSharedSecret(mine, peer.publicKey, true).subarray(1));
  const agree = nobleKey.equals(ecdh.computeSecret(Buffer.from(peer.publicKey))) && nobleKey.equals(deriveSessionKey(mine, peer.publicKey));

  timeSync(noble, Math.max(1, options.iterations >> 2));
  timeSync(library, Math.max(1, options.iterations >> 2));
  const comparison = await interleave(
    options.rounds,
    () => timeSync(noble, options.iterations),
    () => timeSync(library, options.iterations),
  );
  return { comparison, agree, library: LIBRARY_ECDH };
}
