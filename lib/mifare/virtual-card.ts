// An in-memory MIFARE Classic card for the terminal simulator's `card` session (§8.9),
// with a tearing fault (the card leaves the field in the middle of a write sequence).
// Not modelled: authentication and per-block access conditions. Modelled: block 0 and
// trailers refused unless allowed, key A (and key B when the access bits hide it) read as
// zeros, as on a real card.

import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { JpayValidationError } from '../errors';
import { assertBlock } from './block';
import {
  BLOCK_SIZE,
  type CardKind,
  assertBlockNumber,
  blockCount,
  isCardKind,
  isSectorTrailer,
  kindFromMemorySize,
  memorySize,
  sectorCount,
  trailerBlockOf,
} from './geometry';
import { bcc, uidFromManufacturerBlock } from './manufacturer';
import { decodeAccessBits, guardWrite, isKeyBReadable, transportTrailer } from './trailer';

export type TearMode = 'before' | 'after' | 'partial';

export type ReadResult = { ok: true; data: Buffer } | { ok: false; reason: string };
export type WriteResult = { ok: true } | { ok: false; reason: string };

export interface VirtualCardOptions {
  kind?: CardKind;
  /** 4 or 7 bytes as hex. Default: 4 random bytes. With `image`, must match block 0. */
  uid?: string;
  /** The whole memory (1024 bytes for 1k, 4096 for 4k); copied. */
  image?: Buffer;
  allowTrailerWrites?: boolean;
  /** The block the card was authenticated on (the `open` message's block-id). Default 4. */
  authBlock?: number;
}

export type ImageLoadOptions = Omit<VirtualCardOptions, 'image' | 'kind'>;

const NOT_IN_FIELD = 'card is not in the field';
/** SAK and ATQA (LSB first) as NXP cards report them, by kind and UID length. */
const SAK: Record<CardKind, number> = { '1k': 0x08, '4k': 0x18 };
const ATQA: Record<CardKind, Record<4 | 7, number>> = { '1k': { 4: 0x04, 7: 0x44 }, '4k': { 4: 0x02, 7: 0x42 } };
/** Filler for the rest of the manufacturer data: fixed so that images are reproducible. */
const MANUFACTURER_FILLER = 0x90;

function parseUid(uid: string): Buffer {
  if (typeof uid !== 'string' || !/^(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{14})$/.test(uid)) {
    throw new JpayValidationError('uid', 'must be 4 or 7 bytes as hex (8 or 14 hex digits)');
  }
  return Buffer.from(uid, 'hex');
}

function randomUid(): Buffer {
  // 88h as the first byte is the cascade tag, never a single-size UID's first byte.
  for (;;) {
    const uid = randomBytes(4);
    if (uid[0] !== 0x88) return uid;
  }
}

function manufacturerBlock(uid: Buffer, kind: CardKind): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE, MANUFACTURER_FILLER);
  uid.copy(block, 0);
  let at = uid.length;
  if (uid.length === 4) block[at++] = bcc(uid);
  block[at++] = SAK[kind];
  block.writeUInt16LE(ATQA[kind][uid.length as 4 | 7], at);
  return block;
}

export class VirtualMifareCard {
  readonly kind: CardKind;
  readonly authBlock: number;
  readonly allowTrailerWrites: boolean;
  private readonly memory: Buffer;
  private readonly uidBytes: Buffer;
  private present = true;
  private writes = 0;
  private tear: { remaining: number; mode: TearMode } | undefined;

  constructor(options: VirtualCardOptions = {}) {
    const { image } = options;
    let kind = options.kind ?? '1k';
    if (!isCardKind(kind)) throw new JpayValidationError('kind', "must be '1k' or '4k'");
    if (image !== undefined) {
      const imageKind = Buffer.isBuffer(image) ? kindFromMemorySize(image.length) : undefined;
      if (imageKind === undefined) throw new JpayValidationError('image', 'must be a Buffer of 1024 (1k) or 4096 (4k) bytes');
      if (options.kind !== undefined && options.kind !== imageKind) {
        throw new JpayValidationError('image', `is ${image.length} bytes, not a ${options.kind} image (${memorySize(options.kind)} bytes)`);
      }
      kind = imageKind;
    }
    this.kind = kind;
    this.allowTrailerWrites = options.allowTrailerWrites ?? false;
    this.authBlock = options.authBlock ?? 4;
    assertBlockNumber(this.authBlock, kind, 'authBlock');

    if (image !== undefined) {
      this.memory = Buffer.from(image);
      if (options.uid !== undefined) {
        const uid = parseUid(options.uid);
        if (!uid.equals(image.subarray(0, uid.length))) throw new JpayValidationError('uid', 'does not match block 0 of the image');
        this.uidBytes = uid;
      } else {
        this.uidBytes = uidFromManufacturerBlock(image.subarray(0, BLOCK_SIZE));
      }
    } else {
      this.uidBytes = options.uid !== undefined ? parseUid(options.uid) : randomUid();
      this.memory = Buffer.alloc(memorySize(kind));
      manufacturerBlock(this.uidBytes, kind).copy(this.memory, 0);
      for (let s = 0; s < sectorCount(kind); s++) transportTrailer().copy(this.memory, trailerBlockOf(s, kind) * BLOCK_SIZE);
    }
  }

  static fromImage(image: Buffer, options: ImageLoadOptions = {}): VirtualMifareCard {
    return new VirtualMifareCard({ ...options, image });
  }

  /** Reads a raw binary dump (the `.mfd` format of libnfc/mfoc tools: 1024 or 4096 bytes). */
  static async loadFrom(file: string, options: ImageLoadOptions = {}): Promise<VirtualMifareCard> {
    const image = await readFile(file);
    if (kindFromMemorySize(image.length) === undefined) {
      throw new JpayValidationError('image', `file is ${image.length} bytes; a MIFARE Classic dump is 1024 or 4096 bytes`);
    }
    return VirtualMifareCard.fromImage(image, options);
  }

  /** Writes the raw dump, replacing the file only once it is complete. */
  async saveTo(file: string): Promise<void> {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, this.memory);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Upper-case hex, 8 or 14 digits. */
  get uid(): string {
    return this.uidBytes.toString('hex').toUpperCase();
  }

  get inField(): boolean {
    return this.present;
  }

  /** Writes stored and acknowledged ok over the card's life (torn writes are not counted). */
  get writeCount(): number {
    return this.writes;
  }

  remove(): void {
    this.present = false;
  }

  returnToField(): void {
    this.present = true;
  }

  /**
   * After `n` more successful writes, the next write tears and the card leaves the field:
   * `before` = it is not stored, `after` = it is stored, `partial` = only its first 8 bytes
   * are stored; in every mode it is reported failed. One-shot. Refused writes do not count.
   */
  tearAfterWrites(n: number, mode: TearMode): void {
    if (!Number.isInteger(n) || n < 0) throw new JpayValidationError('n', 'must be a non-negative integer');
    if (mode !== 'before' && mode !== 'after' && mode !== 'partial') {
      throw new JpayValidationError('mode', "must be 'before', 'after' or 'partial'");
    }
    this.tear = { remaining: n, mode };
  }

  read(block: number): ReadResult {
    if (!this.present) return { ok: false, reason: NOT_IN_FIELD };
    if (!Number.isInteger(block) || block < 0 || block >= blockCount(this.kind)) {
      return { ok: false, reason: `block ${String(block)} is out of range for a ${this.kind} card` };
    }
    const data = Buffer.from(this.memory.subarray(block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE));
    if (isSectorTrailer(block, this.kind)) {
      const access = decodeAccessBits(data);
      data.fill(0, 0, 6);
      if (!access.ok || !isKeyBReadable(access.conditions[3])) data.fill(0, 10, 16);
    }
    return { ok: true, data };
  }

  write(block: number, data: Buffer): WriteResult {
    if (!this.present) return { ok: false, reason: NOT_IN_FIELD };
    const guard = guardWrite(block, this.kind, { allowTrailerWrites: this.allowTrailerWrites });
    if (!guard.ok) return guard;
    try {
      assertBlock(data, 'data');
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    if (isSectorTrailer(block, this.kind)) {
      const access = decodeAccessBits(data);
      if (!access.ok) return { ok: false, reason: `${access.reason}; the write would lock the sector for good` };
    }
    const offset = block * BLOCK_SIZE;
    if (this.tear !== undefined) {
      if (this.tear.remaining === 0) {
        const { mode } = this.tear;
        this.tear = undefined;
        this.present = false;
        if (mode === 'after') data.copy(this.memory, offset);
        if (mode === 'partial') data.copy(this.memory, offset, 0, BLOCK_SIZE / 2);
        return { ok: false, reason: `${NOT_IN_FIELD} (torn during the write)` };
      }
      this.tear.remaining--;
    }
    data.copy(this.memory, offset);
    this.writes++;
    return { ok: true };
  }

  /** The raw memory, keys included (what dump tools save). A copy. */
  toImage(): Buffer {
    return Buffer.from(this.memory);
  }
}
