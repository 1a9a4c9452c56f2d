/**
 * The secure session (§9): an ephemeral ECDH handshake at login, then one AES-256 key
 * for every command until the next handshake. The key is dropped when the terminal shows
 * it lost its own (a plain-text answer to an encrypted command).
 *
 * The protocol binds nothing to a packet but the key: no sequence number, no direction,
 * no request id. A copy of an earlier encrypted packet — the terminal's answer to another
 * purchase, or the client's own command reflected back — decrypts as well as the
 * original. So the session remembers the IV of every packet sealed or opened under its key,
 * across connections, and refuses a packet whose IV it has seen (`replayed-packet`). Memory
 * stays bounded: once `maxPackets` IVs are remembered the session is *worn* and the next
 * command handshakes a new key (a fresh, empty memory); a single command that alone passes
 * four times that is cut off (`queue-overflow`).
 */
import { decodeServerHandshake, deriveSessionKey, encodeClientHandshake, generateEphemeralKeyPair, openPacket, sealPacket } from '../codec/crypto';
import type { Packet } from '../codec/packet';
import { JpayProtocolError } from '../errors';

/** IVs remembered under one key before the next command handshakes a new one. */
export const DEFAULT_MAX_SESSION_PACKETS = 16_384;
/** How far past the bound one command may go (a long transaction's keepalives) before it is cut off. */
const HARD_LIMIT_FACTOR = 4;

/** Seals and opens the packets of one command; what the exchange uses. */
export interface PacketCipher {
  seal(p: Packet): Packet;
  /** Decrypts; throws bad-crypto (tampered, foreign) or replayed-packet (an IV already seen). */
  open(p: Packet): Packet;
}

/** One session key and the IVs seen under it. */
export class SessionCipher implements PacketCipher {
  readonly #key: Buffer;
  readonly #ivs = new Set<string>();

  constructor(
    key: Buffer,
    private readonly maxPackets: number,
  ) {
    this.#key = key;
  }

  get key(): Buffer {
    return this.#key;
  }

  /** IVs remembered so far. */
  get remembered(): number {
    return this.#ivs.size;
  }

  /** The memory reached its bound: handshake a new key before the next command. */
  get worn(): boolean {
    return this.#ivs.size >= this.maxPackets;
  }

  seal(p: Packet): Packet {
    this.room();
    const { packet, iv } = sealPacket(p, this.#key);
    // A random 16-byte IV repeats with probability ~2^-128; remembered so a reflected copy is refused.
    this.#ivs.add(iv);
    return packet;
  }

  open(p: Packet): Packet {
    const { packet: plain, iv } = openPacket(p, this.#key);
    if (this.#ivs.has(iv)) {
      throw new JpayProtocolError('replayed-packet', `<${p.name.slice(0, 64)}> is a copy of an encrypted packet already seen in this session`);
    }
    this.room();
    this.#ivs.add(iv);
    return plain;
  }

  private room(): void {
    if (this.#ivs.size >= this.maxPackets * HARD_LIMIT_FACTOR) {
      throw new JpayProtocolError('queue-overflow', `more than ${this.maxPackets * HARD_LIMIT_FACTOR} encrypted packets under one session key`);
    }
  }

  wipe(): void {
    this.#key.fill(0);
    this.#ivs.clear();
  }
}

export interface PendingHandshake {
  /** The `client-handshake` attribute for login. */
  readonly clientHandshake: string;
  /** The session from the login response's `server-handshake` (throws bad-handshake); install() it once the response was opened and accepted. */
  derive(serverHandshake: string): SessionCipher;
}

export class SecureSession {
  #cipher: SessionCipher | undefined;

  constructor(
    readonly enabled: boolean,
    private readonly maxPackets = DEFAULT_MAX_SESSION_PACKETS,
  ) {}

  get key(): Buffer | undefined {
    return this.#cipher?.key;
  }

  /** The current session's cipher, when a key is held. */
  get cipher(): SessionCipher | undefined {
    return this.#cipher;
  }

  /** A fresh ephemeral key pair for one login. */
  begin(): PendingHandshake {
    const pair = generateEphemeralKeyPair();
    return {
      clientHandshake: encodeClientHandshake(pair.publicKey),
      derive: (serverHandshake) => new SessionCipher(deriveSessionKey(pair.privateKey, decodeServerHandshake(serverHandshake)), this.maxPackets),
    };
  }

  install(cipher: SessionCipher): void {
    if (this.#cipher !== cipher) this.drop();
    this.#cipher = cipher;
  }

  /** The terminal lost the key (e.g. restarted), or the memory is worn: the next command handshakes again. */
  drop(): void {
    this.#cipher?.wipe();
    this.#cipher = undefined;
  }
}
