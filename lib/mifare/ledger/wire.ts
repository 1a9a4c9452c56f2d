/**
 * The replicated record: one retained MQTT message per card, on
 * `<prefix>/<program id>/<UID>`, holding the newest state the fleet knows, MAC'd with the
 * program key so that a broker account can neither invent nor alter a card's state:
 *   {"v":1,"program":42,"uid":"C0FFEE42","member":1001,"counter":7,"points":120,
 *    "balance":4550,"origin":"coffee-1","at":"2026-05-01T09:30:00.000Z","kid":1,"mac":"…"}
 * `mac`: HMAC-SHA-256 (key `kid`), first 16 bytes as hex, over the fields' canonical text.
 * What a card owes back is never replicated (it is taken back where it was recorded).
 */
import type { LoyaltyKeyring } from '../loyalty/keys';
import { UID_PATTERN, checkCardRecord } from './entry';
import type { RemoteRecord } from './rules';

const WIRE_VERSION = 1;
const MAC_LENGTH = 16;
const MAX_FIELD = 200;

function canonical(programId: number, r: RemoteRecord): Buffer {
  const fields = ['JPLY ledger', WIRE_VERSION, programId, r.uid, r.memberId, r.counter, r.points ?? '-', r.balance ?? '-', r.origin, r.at];
  return Buffer.from(fields.join('\n'), 'utf8');
}

export function encodeWire(programId: number, record: RemoteRecord, keys: LoyaltyKeyring): string {
  const kid = keys.currentId;
  const mac = keys.mac(kid, canonical(programId, record), MAC_LENGTH).toString('hex');
  const out: Record<string, unknown> = { v: WIRE_VERSION, program: programId, uid: record.uid, member: record.memberId, counter: record.counter };
  if (record.points !== undefined) out.points = record.points;
  if (record.balance !== undefined) out.balance = record.balance;
  Object.assign(out, { origin: record.origin, at: record.at, kid, mac });
  return JSON.stringify(out);
}

export type WireResult = { ok: true; record: RemoteRecord } | { ok: false; reason: string };

/** A received payload: well-formed, of this program and topic, and MAC'd with one of our keys. */
export function decodeWire(payload: Buffer | string, programId: number, topicUid: string, keys: LoyaltyKeyring): WireResult {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  if (text.length > 2048) return { ok: false, reason: 'too long' };
  let o: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'not a JSON object' };
    o = parsed as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (o.v !== WIRE_VERSION) return { ok: false, reason: `record version ${String(o.v)}` };
  if (o.program !== programId) return { ok: false, reason: 'another program' };
  if (typeof o.uid !== 'string' || !UID_PATTERN.test(o.uid) || o.uid !== topicUid) return { ok: false, reason: 'uid does not match the topic' };
  for (const f of ['origin', 'at', 'mac'] as const) {
    if (typeof o[f] !== 'string' || (o[f] as string).length === 0 || (o[f] as string).length > MAX_FIELD) return { ok: false, reason: `field ${f}` };
  }
  let record: RemoteRecord;
  try {
    record = { ...checkCardRecord({ memberId: o.member, counter: o.counter, points: o.points, balance: o.balance }, ''), uid: o.uid, origin: o.origin as string, at: o.at as string };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  if (typeof o.kid !== 'number' || !keys.has(o.kid)) return { ok: false, reason: 'MAC under a key this program does not have' };
  const mac = /^[0-9a-f]{32}$/.test(o.mac as string) ? Buffer.from(o.mac as string, 'hex') : Buffer.alloc(0);
  if (mac.length !== MAC_LENGTH || !keys.verify(o.kid, canonical(programId, record), mac)) return { ok: false, reason: 'MAC does not verify' };
  return { ok: true, record };
}
