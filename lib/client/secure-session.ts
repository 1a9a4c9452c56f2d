/**
 * The secure session (§9): an ephemeral ECDH handshake at login, then one AES-256 key
 * for every command until the next handshake. The key is dropped when the terminal shows
 * it lost its own (a plain `failed` answer to an encrypted command).
 */
import {
  decodeServerHandshake,
  deriveSessionKey,
  encodeClientHandshake,
  generateEphemeralKeyPair,
} from '../codec/crypto';

export interface PendingHandshake {
  /** The `client-handshake` attribute for login. */
  readonly clientHandshake: string;
  /** Derives the session key from the login response's `server-handshake` (throws bad-handshake); install() it once the response decrypted. */
  derive(serverHandshake: string): Buffer;
}

export class SecureSession {
  #key: Buffer | undefined;

  constructor(readonly enabled: boolean) {}

  get key(): Buffer | undefined {
    return this.#key;
  }

  /** A fresh ephemeral key pair for one login. */
  begin(): PendingHandshake {
    const pair = generateEphemeralKeyPair();
    return {
      clientHandshake: encodeClientHandshake(pair.publicKey),
      derive: (serverHandshake) => deriveSessionKey(pair.privateKey, decodeServerHandshake(serverHandshake)),
    };
  }

  install(key: Buffer): void {
    if (this.#key !== key) this.drop();
    this.#key = key;
  }

  /** The terminal lost the key (e.g. restarted): the next command handshakes again. */
  drop(): void {
    this.#key?.fill(0);
    this.#key = undefined;
  }
}
