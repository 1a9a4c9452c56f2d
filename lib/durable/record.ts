/**
 * The durable log's file format (docs/reliability.md, "The durable log format"). One
 * record per line, UTF-8:
 *
 *   <crc> <json>\n
 *
 * `<crc>` is the CRC-32C of the `<json>` bytes as 8 lowercase hex digits. `<json>` is
 * `{"k":"<key>","v":<value>}` (the key now has this value) or `{"k":"<key>","x":1}` (the
 * key is removed). The newest record of a key wins; replaying the lines in order rebuilds
 * the state. An optional `"f"` field carries the format version (absent: 1); a reader
 * refuses a version it does not know.
 */
import { crc32c } from './crc32c';

export const FORMAT_VERSION = 1;

const NEWLINE = 0x0a;
const SPACE = 0x20;
const NUL = 0x00;
const PREFIX = 9; // 8 hex digits and a space

/** A change ready to be written: its key, its new value (undefined: removed) and its line. */
export interface EncodedRecord<V> {
  readonly key: string;
  readonly value: V | undefined;
  readonly line: Buffer;
}

export function encodeRecord<V>(key: string, value: V | undefined): EncodedRecord<V> {
  const k = JSON.stringify(key);
  let json: string;
  if (value === undefined) {
    json = `{"k":${k},"x":1}`;
  } else {
    const v = JSON.stringify(value) as string | undefined;
    if (v === undefined) throw new TypeError(`durable log: the value of ${key} cannot be written as JSON`);
    json = `{"k":${k},"v":${v}}`;
  }
  const length = Buffer.byteLength(json, 'utf8');
  const line = Buffer.allocUnsafe(PREFIX + length + 1);
  line.write(json, PREFIX, 'utf8');
  line.write(crc32c(line, PREFIX, PREFIX + length).toString(16).padStart(8, '0'), 0, 'latin1');
  line[PREFIX - 1] = SPACE;
  line[PREFIX + length] = NEWLINE;
  return { key, value, line };
}

export type DamageReason =
  /** The bytes are there but do not match the record's checksum: edited or damaged. */
  | 'checksum'
  /** Not a record of this format, or a value the owner refuses. */
  | 'format'
  /** Zero bytes where records were: writes lost in a power cut before their sync. */
  | 'zeroed';

export interface Damage {
  /** 1-based line number in the file. */
  line: number;
  offset: number;
  length: number;
  reason: DamageReason;
}

export interface ScannedRecord {
  key: string;
  /** undefined: a removal. */
  value: unknown;
  removed: boolean;
  /** Line number, for messages. */
  line: number;
  /** Where its line starts in the file. */
  offset: number;
  /** Bytes of its line, newline included. */
  bytes: number;
}

export interface Scan {
  records: ScannedRecord[];
  damaged: Damage[];
  /** Zero bytes skipped (where a record starts after them, or a whole line of them). */
  zeroedBytes: number;
  /** Bytes after the last complete record that are not one: a torn append. Cut off on open. */
  tornBytes: number;
  /** Where the good content ends: the file is cut here when it is longer. */
  end: number;
  /** The last record is complete but lost its newline: the next write starts with one. */
  needsNewline: boolean;
  /** A record says it was written by a newer format version. */
  newerVersion?: number;
}

function isHex(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66);
}

function hasPrefix(bytes: Buffer, start: number, end: number): boolean {
  if (end - start < PREFIX + 2 || bytes[start + PREFIX - 1] !== SPACE || bytes[start + PREFIX] !== 0x7b) return false;
  for (let i = start; i < start + 8; i++) if (!isHex(bytes[i])) return false;
  return true;
}

type LineResult = { ok: true; key: string; value: unknown; removed: boolean; version: number } | { ok: false; reason: DamageReason };

function parseLine(bytes: Buffer, start: number, end: number): LineResult {
  if (!hasPrefix(bytes, start, end)) return { ok: false, reason: bytes.indexOf(NUL, start) >= 0 && bytes.indexOf(NUL, start) < end ? 'zeroed' : 'format' };
  const expected = Number.parseInt(bytes.toString('latin1', start, start + 8), 16);
  if (crc32c(bytes, start + PREFIX, end) !== expected) {
    const nul = bytes.indexOf(NUL, start);
    return { ok: false, reason: nul >= 0 && nul < end ? 'zeroed' : 'checksum' };
  }
  let o: unknown;
  try {
    o = JSON.parse(bytes.toString('utf8', start + PREFIX, end));
  } catch {
    return { ok: false, reason: 'format' };
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return { ok: false, reason: 'format' };
  const r = o as Record<string, unknown>;
  const version = r.f === undefined ? FORMAT_VERSION : r.f;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) return { ok: false, reason: 'format' };
  if (typeof r.k !== 'string') return { ok: false, reason: 'format' };
  if (r.x === 1 && !('v' in r)) return { ok: true, key: r.k, value: undefined, removed: true, version };
  if ('v' in r && r.x === undefined) return { ok: true, key: r.k, value: r.v, removed: false, version };
  return { ok: false, reason: 'format' };
}

/** True when some line of the file is a record line of this format (else: empty, or an earlier format). */
export function isCurrentFormat(bytes: Buffer): boolean {
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end < 0) end = bytes.length;
    let s = start;
    while (s < end && bytes[s] === NUL) s++;
    if (hasPrefix(bytes, s, end)) return true;
    start = end + 1;
  }
  return false;
}

/** True when the file holds nothing but zero bytes and newlines (an empty log). */
export function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== NUL && b !== NEWLINE) return false;
  return true;
}

/** Reads every line: records, damaged lines, and the torn tail. */
export function scanRecords(bytes: Buffer): Scan {
  const scan: Scan = { records: [], damaged: [], zeroedBytes: 0, tornBytes: 0, end: 0, needsNewline: false };
  let start = 0;
  let lineNo = 0;
  while (start < bytes.length) {
    lineNo++;
    const newline = bytes.indexOf(NEWLINE, start);
    const last = newline < 0;
    const end = last ? bytes.length : newline;
    let s = start;
    while (s < end && bytes[s] === NUL) s++;
    const zeros = s - start;
    if (s === end) {
      // Nothing but zeros: lost writes, or (at the end) a torn, zero-filled append.
      if (last) scan.tornBytes += end - start;
      else {
        if (zeros > 0) scan.zeroedBytes += zeros;
        scan.end = newline + 1;
      }
      start = end + 1;
      continue;
    }
    const parsed = parseLine(bytes, s, end);
    if (parsed.ok) {
      if (parsed.version > FORMAT_VERSION) scan.newerVersion = Math.max(scan.newerVersion ?? 0, parsed.version);
      scan.zeroedBytes += zeros;
      scan.records.push({ key: parsed.key, value: parsed.value, removed: parsed.removed, line: lineNo, offset: s, bytes: end - s + 1 });
      scan.end = last ? end : newline + 1;
      scan.needsNewline = last;
    } else if (last) {
      scan.tornBytes += end - start;
    } else {
      scan.damaged.push({ line: lineNo, offset: start, length: end - start, reason: zeros > 0 ? 'zeroed' : parsed.reason });
      if (zeros > 0 || parsed.reason === 'zeroed') scan.zeroedBytes += end - start;
      scan.end = newline + 1;
    }
    start = end + 1;
  }
  return scan;
}
