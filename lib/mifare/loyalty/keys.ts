// The program's secret keys for layout v2 (docs/loyalty-card.md, "Keys"): the current one,
// which every write uses, and older ones, which still verify. Keys live only here, in
// private fields: never on the card, in errors, JSON or util.inspect output.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { JpayValidationError } from '../../errors';

/** Key ids are one byte on the card; 0 and 255 are never used (a blank or erased byte). */
export const MIN_KEY_ID = 1;
export const MAX_KEY_ID = 254;
/** 128 or 256 bits. */
const KEY_BYTES = [16, 32];

export interface ProgramKey {
  id: number;
  /** 32 or 64 hex digits, or 16 or 32 bytes. */
  key: string | Buffer;
}

function keyId(id: unknown, field: string): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < MIN_KEY_ID || id > MAX_KEY_ID) {
    throw new JpayValidationError(field, `must be a whole number ${MIN_KEY_ID}..${MAX_KEY_ID}`);
  }
  return id;
}

/** The key's bytes; the error never shows the value. */
export function keyBytes(key: unknown, field: string): Buffer {
  let bytes: Buffer | undefined;
  if (Buffer.isBuffer(key)) bytes = Buffer.from(key);
  else if (typeof key === 'string' && /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/.test(key.trim())) bytes = Buffer.from(key.trim(), 'hex');
  if (bytes === undefined || !KEY_BYTES.includes(bytes.length)) {
    throw new JpayValidationError(field, 'must be a secret of 32 or 64 hex digits (128 or 256 bits)');
  }
  if (bytes.every((b) => b === bytes[0])) throw new JpayValidationError(field, 'must be a random secret, not one byte repeated');
  return bytes;
}

/**
 * Older keys as text, for a credential field: `id:hex` entries separated by commas,
 * semicolons, spaces or new lines (`1:00ff…, 2:a1b2…`). Empty text: none.
 */
export function parseKeyList(text: string, field: string): ProgramKey[] {
  const entries = text.split(/[\s,;]+/).filter((e) => e !== '');
  return entries.map((entry, i) => {
    const match = /^(\d{1,3}):(.*)$/.exec(entry);
    if (!match) throw new JpayValidationError(`${field}[${i}]`, 'must be written id:hex (the key id, a colon, the key)');
    const id = keyId(Number(match[1]), `${field}[${i}].id`);
    return { id, key: keyBytes(match[2], `${field}[${i}].key`) };
  });
}

export class LoyaltyKeyring {
  /** The key every write uses. */
  readonly currentId: number;
  readonly #keys = new Map<number, Buffer>();

  constructor(current: ProgramKey, previous: readonly ProgramKey[] = []) {
    this.currentId = keyId(current.id, 'keyId');
    this.#keys.set(this.currentId, keyBytes(current.key, 'key'));
    previous.forEach((p, i) => {
      const id = keyId(p.id, `previousKeys[${i}].id`);
      if (this.#keys.has(id)) throw new JpayValidationError(`previousKeys[${i}].id`, `key id ${id} is used twice`);
      this.#keys.set(id, keyBytes(p.key, `previousKeys[${i}].key`));
    });
  }

  /** Every key id that verifies, the current one first. */
  get keyIds(): number[] {
    return [...this.#keys.keys()];
  }

  has(id: number): boolean {
    return this.#keys.has(id);
  }

  /** The first `length` bytes of HMAC-SHA-256(key `id`, data). */
  mac(id: number, data: Buffer, length: number): Buffer {
    const key = this.#keys.get(id);
    if (key === undefined) throw new Error(`no key with id ${id}`);
    return createHmac('sha256', key).update(data).digest().subarray(0, length);
  }

  /** True when `tag` is the MAC of `data` under key `id` (constant time); false for an unknown id. */
  verify(id: number, data: Buffer, tag: Buffer): boolean {
    if (!this.#keys.has(id)) return false;
    const expected = this.mac(id, data, tag.length);
    return tag.length > 0 && timingSafeEqual(expected, tag);
  }

  toJSON(): { currentKeyId: number; keyIds: number[] } {
    return { currentKeyId: this.currentId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `LoyaltyKeyring { currentKeyId: ${this.currentId}, keyIds: [${this.keyIds.join(', ')}] }`;
  }
}
