/**
 * The MIFARE card session (§8.9) as a flow sees it: what a `card` message becomes in
 * `msg.payload`, and how the flow's answer in `msg.payload` becomes the next CardRequest.
 * Every refusal names the offending field.
 */
import { JpayValidationError } from '../../lib/errors';
import type { XmlElement, XmlNode } from '../../lib/codec/packet';
import type { CardRequest } from '../../lib/protocol/types';
import { blockFromBase64, blockFromHex } from '../../lib/mifare/block';
import { BLOCK_SIZE } from '../../lib/mifare/geometry';
import { guardWrite } from '../../lib/mifare/trailer';
import { isRecord } from '../../lib/objects';

/** MIFARE Classic 4K has 256 blocks; 1K and Mini use the lower ones. */
export const MAX_BLOCK = 255;
export { BLOCK_SIZE };
/** Blocks the node may read on `open` before the flow is asked (each costs a round trip). */
export const MAX_PREFETCH_BLOCKS = 16;

/** The safe default: end the card session without a receipt. */
export const SAFE_CARD_ANSWER: CardRequest = Object.freeze({ code: 'close' }) as CardRequest;

export type CardEventName = 'open' | 'read' | 'write';

/** `msg.payload` of a jpay-card output msg. */
export interface CardEventPayload {
  event: CardEventName;
  /** open: the block the card was authenticated on; read/write: the block asked for. */
  block?: number;
  /** open, read: the block's 16 bytes, when they could be read. */
  data?: Buffer;
  ok: boolean;
  /** read, write: the terminal's status (`ok`, `failed`). */
  status?: string;
  /** open, when the node read blocks first: block number → bytes (null = read failed). */
  blocks?: Record<string, Buffer | null>;
}

const ACTIONS = ['read', 'write', 'close'] as const;

export function checkBlock(value: unknown, field: string): number {
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) value = Number(value.trim());
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_BLOCK) {
    throw new JpayValidationError(field, `must be a block number 0..${MAX_BLOCK}`);
  }
  return value;
}

/**
 * Block bytes from a Buffer, a hex string (32 digits, spaces and colons allowed), a base64
 * string, an array of byte values, or a Buffer that went through JSON (`{type:'Buffer', data}`).
 */
export function blockData(value: unknown, field: string): Buffer {
  let bytes: Buffer | undefined;
  if (Buffer.isBuffer(value)) bytes = value;
  else if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else if (Array.isArray(value) || (isRecord(value) && value.type === 'Buffer' && Array.isArray(value.data))) {
    const list = (Array.isArray(value) ? value : (value as { data: unknown[] }).data) as unknown[];
    if (!list.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) {
      throw new JpayValidationError(field, 'an array must hold byte values 0..255');
    }
    bytes = Buffer.from(list as number[]);
  } else if (typeof value === 'string') {
    const compact = value.replace(/[\s:]/g, '');
    if (/^[0-9A-Fa-f]{32}$/.test(compact)) bytes = blockFromHex(compact, field);
    else if (/^[0-9A-Fa-f]*$/.test(compact) && compact.length !== 22) {
      throw new JpayValidationError(field, `must be ${BLOCK_SIZE * 2} hex digits, got ${compact.length}`);
    } else bytes = blockFromBase64(compact, field);
  } else {
    throw new JpayValidationError(field, `must be a Buffer, a hex string or a base64 string of ${BLOCK_SIZE} bytes`);
  }
  if (bytes.length !== BLOCK_SIZE) {
    throw new JpayValidationError(field, `must be exactly ${BLOCK_SIZE} bytes, got ${bytes.length}`);
  }
  return Buffer.from(bytes);
}

const XML_NAME = /^(?!xml)[A-Za-z_][A-Za-z0-9._-]*$/i;
const MAX_DEPTH = 8;

function xmlValue(value: unknown, field: string, depth: number): XmlNode | undefined {
  if (value === undefined) return undefined;
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new JpayValidationError(field, 'must be a finite number');
    return String(value);
  }
  if (Buffer.isBuffer(value)) return value.toString('hex').toUpperCase();
  if (isRecord(value)) return receiptElement(value, field, depth + 1);
  throw new JpayValidationError(field, 'must be a string, a number, a boolean or an object');
}

/** A flow's receipt object as XML children: keys are element names, `@key` attributes. */
export function receiptElement(value: unknown, field = 'msg.payload.receipt', depth = 0): XmlElement {
  if (!isRecord(value)) throw new JpayValidationError(field, 'must be an object (element name → value)');
  if (depth > MAX_DEPTH) throw new JpayValidationError(field, `nests deeper than ${MAX_DEPTH} levels`);
  const out: XmlElement = {};
  for (const [key, raw] of Object.entries(value)) {
    const at = `${field}.${key}`;
    const isAttribute = key.startsWith('@');
    if (!XML_NAME.test(isAttribute ? key.slice(1) : key)) throw new JpayValidationError(at, 'is not a valid XML name');
    if (isAttribute) {
      const v = xmlValue(raw, at, depth);
      if (v === undefined) continue;
      if (typeof v !== 'string') throw new JpayValidationError(at, 'an attribute must be a plain value');
      out[key] = v;
    } else if (Array.isArray(raw)) {
      const items: XmlNode[] = [];
      raw.forEach((item, i) => {
        if (Array.isArray(item)) throw new JpayValidationError(`${at}[${i}]`, 'nested arrays have no XML form');
        const v = xmlValue(item, `${at}[${i}]`, depth);
        if (v !== undefined) items.push(v);
      });
      out[key] = items;
    } else {
      const v = xmlValue(raw, at, depth);
      if (v !== undefined) out[key] = v;
    }
  }
  return out;
}

/**
 * The flow's answer (`msg.payload`) as the next card request:
 * `{action:'read', block}`, `{action:'write', block, data}`, `{action:'close', receipt?}`.
 * Writing block 0 (manufacturer data) is refused; a sector trailer (keys and access bits)
 * only with `trailer: true`, because a wrong trailer locks the sector for good.
 */
export function cardRequestFromPayload(payload: unknown, field = 'msg.payload'): CardRequest {
  if (!isRecord(payload)) {
    throw new JpayValidationError(field, "must be an object {action: 'read'|'write'|'close', …}");
  }
  const action = payload.action;
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) {
    throw new JpayValidationError(`${field}.action`, `must be one of ${ACTIONS.join(', ')}`);
  }
  switch (action) {
    case 'read':
      return { code: 'read', blockId: checkBlock(payload.block, `${field}.block`) };
    case 'write': {
      const blockId = checkBlock(payload.block, `${field}.block`);
      // 4K geometry: its lower 128 blocks are laid out like a 1K card.
      const guard = guardWrite(blockId, '4k', { allowTrailerWrites: payload.trailer === true });
      if (!guard.ok) throw new JpayValidationError(`${field}.block`, `${guard.reason} (set trailer: true to write keys)`);
      return { code: 'write', blockId, data: blockData(payload.data, `${field}.data`) };
    }
    default: {
      if (payload.receipt === undefined || payload.receipt === null) return { code: 'close' };
      return { code: 'close', receipt: receiptElement(payload.receipt, `${field}.receipt`) };
    }
  }
}

/** "4, 5, 8-10" → [4, 5, 8, 9, 10]: the blocks to read on `open`, from the edit dialog. */
export function parseBlockList(text: unknown, field = 'readBlocks'): number[] {
  if (text === undefined || text === null) return [];
  if (Array.isArray(text)) return checkBlockList(text.map((b, i) => checkBlock(b, `${field}[${i}]`)), field);
  if (typeof text !== 'string') throw new JpayValidationError(field, 'must be a list such as "4, 5, 8-10"');
  const blocks: number[] = [];
  for (const part of text.split(/[,;\s]+/).filter((p) => p !== '')) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const from = checkBlock(Number(range[1]), field);
      const to = checkBlock(Number(range[2]), field);
      if (to < from) throw new JpayValidationError(field, `range ${part} runs backwards`);
      for (let b = from; b <= to; b++) blocks.push(b);
    } else if (/^\d+$/.test(part)) {
      blocks.push(checkBlock(Number(part), field));
    } else {
      throw new JpayValidationError(field, `"${part}" is not a block number or a range like 8-10`);
    }
  }
  return checkBlockList(blocks, field);
}

function checkBlockList(blocks: number[], field: string): number[] {
  const unique = [...new Set(blocks)];
  if (unique.length > MAX_PREFETCH_BLOCKS) {
    throw new JpayValidationError(field, `at most ${MAX_PREFETCH_BLOCKS} blocks (the card must stay in the field)`);
  }
  return unique;
}
