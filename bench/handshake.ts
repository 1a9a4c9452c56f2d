/**
 * Measurement 4 — handshake: one side of the §9 ECDHE on secp256r1 (a fresh key pair, the
 * peer's point decoded and validated, the shared x-coordinate) with @noble/curves, as
 * lib/codec/crypto.ts does it, vs. node:crypto's createECDH('prime256v1') on the same curve.
 */
import { createECDH } from 'node:crypto';
import { decodeServerHandshake, deriveSessionKey, encodeServerHandshake, generateEphemeralKeyPair } from '../lib/codec/crypto';
import { interleave, timeSync, type Comparison } from './stats';

export interface HandshakeOptions {
  iterations: number;
  rounds: number;
}

export interface HandshakeResult {
  /** µs per handshake side. */
  comparison: Comparison;
  /** Both implementations derived the same key from the same private key. */
  agree: boolean;
}

export async function benchHandshake(options: HandshakeOptions): Promise<HandshakeResult> {
  const peer = generateEphemeralKeyPair();
  const peerHandshake = encodeServerHandshake(peer.publicKey);
  const peerPoint = Buffer.from(peer.publicKey);

  const noble = (): Buffer => {
    const pair = generateEphemeralKeyPair();
    return deriveSessionKey(pair.privateKey, decodeServerHandshake(peerHandshake));
  };
  const node = (): Buffer => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    // computeSecret validates the point and returns the x-coordinate: the session key.
    return ecdh.computeSecret(Buffer.from(peerHandshake, 'base64').subarray(1));
  };

  const mine = generateEphemeralKeyPair();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(mine.privateKey));
  const agree = deriveSessionKey(mine.privateKey, peer.publicKey).equals(ecdh.computeSecret(peerPoint));

  timeSync(noble, Math.max(1, options.iterations >> 2));
  timeSync(node, Math.max(1, options.iterations >> 2));
  const comparison = await interleave(
    options.rounds,
    () => timeSync(noble, options.iterations),
    () => timeSync(node, options.iterations),
  );
  return { comparison, agree };
}
