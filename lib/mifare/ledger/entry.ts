/**
 * What the shadow ledger keeps per card (docs/loyalty-card.md, "The shadow ledger"): the
 * last state committed to the card, where and when it was recorded, and what the card owes
 * back. Records on disk are checked field by field (a record that is not one is damaged).
 */
import { isRecord } from '../../objects';

/** A card's state as the ledger knows it (layout version 2: the counter counts mod 65536). */
export interface CardRecord {
  memberId: number;
  counter: number;
  points?: number;
  balance?: number;
}

/** Signed purse changes still to apply to a card, and the (last) unpaid card session they come from. */
export interface OwedChange {
  points: number;
  balance: number;
  /** The operation whose change is owed back (earn, pay…). */
  operation: string;
  transaction?: { type: string; amount?: number; nodeId?: string; msgid?: string };
}

/** What a card owes back for unpaid transactions. Local: never replicated. */
export interface OwedRecord extends OwedChange {
  /**
   * A take-back of `restores` is being written: the card held `before`, the write aims at
   * `intended`. If the machine stops before its result is known, the card's next tap tells
   * which it holds (and `restores` is owed again only if it holds `before`).
   */
  pending?: { before: CardRecord; intended: CardRecord; restores: OwedChange };
}

export interface LedgerEntry extends CardRecord {
  /** Upper-case hex. */
  uid: string;
  /** ISO time the state was recorded. */
  at: string;
  /** The machine that recorded it (a replicated record keeps its sender's name). */
  origin: string;
  /** Limit policy: net stored value (minor units) spent here while no other machine vouched for the card. */
  provisional?: number;
  /** Another machine recorded a different state for the same counter (a clone): that state. */
  conflict?: CardRecord & { origin: string; at: string };
  owed?: OwedRecord;
  /** The fleet has this state (it came from the broker, or the broker took our copy). */
  published: boolean;
}

const MAX_U32 = 0xffffffff;
const MAX_VALUE = 0x7fffffff;
const MAX_SIGNED = Number.MAX_SAFE_INTEGER;

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function fail(what: string): never {
  throw new Error(`not a ledger record: ${what}`);
}

export function checkCardRecord(o: Record<string, unknown>, where: string): CardRecord {
  if (!isInt(o.memberId, 0, MAX_U32)) fail(`${where}memberId`);
  if (!isInt(o.counter, 0, 0xffff)) fail(`${where}counter`);
  const r: CardRecord = { memberId: o.memberId, counter: o.counter };
  for (const purse of ['points', 'balance'] as const) {
    if (o[purse] === undefined) continue;
    if (!isInt(o[purse], 0, MAX_VALUE)) fail(`${where}${purse}`);
    r[purse] = o[purse];
  }
  return r;
}

function checkChange(o: unknown, where: string): OwedChange {
  if (!isRecord(o)) fail(where);
  if (!isInt(o.points, -MAX_SIGNED, MAX_SIGNED) || !isInt(o.balance, -MAX_SIGNED, MAX_SIGNED) || typeof o.operation !== 'string') fail(where);
  const owed: OwedChange = { points: o.points, balance: o.balance, operation: o.operation };
  if (o.transaction !== undefined) {
    const t = o.transaction;
    if (!isRecord(t) || typeof t.type !== 'string') fail('owed.transaction');
    const tx: NonNullable<OwedChange['transaction']> = { type: t.type };
    if (t.amount !== undefined) tx.amount = isInt(t.amount, 0, MAX_SIGNED) ? t.amount : fail(`${where}.transaction.amount`);
    if (t.nodeId !== undefined) tx.nodeId = typeof t.nodeId === 'string' ? t.nodeId : fail(`${where}.transaction.nodeId`);
    if (t.msgid !== undefined) tx.msgid = typeof t.msgid === 'string' ? t.msgid : fail(`${where}.transaction.msgid`);
    owed.transaction = tx;
  }
  return owed;
}

function checkOwed(o: unknown): OwedRecord {
  const owed: OwedRecord = checkChange(o, 'owed');
  const p = (o as Record<string, unknown>).pending;
  if (p !== undefined) {
    if (!isRecord(p) || !isRecord(p.before) || !isRecord(p.intended)) fail('owed.pending');
    owed.pending = {
      before: checkCardRecord(p.before, 'owed.pending.before.'),
      intended: checkCardRecord(p.intended, 'owed.pending.intended.'),
      restores: checkChange(p.restores, 'owed.pending.restores'),
    };
  }
  return owed;
}

export const UID_PATTERN = /^(?:[0-9A-F]{8}|[0-9A-F]{14})$/;

/** DurableLog `decode`: throws when the stored value is not a ledger entry. */
export function decodeLedgerEntry(value: unknown): LedgerEntry {
  if (!isRecord(value)) fail('not an object');
  if (typeof value.uid !== 'string' || !UID_PATTERN.test(value.uid)) fail('uid');
  if (typeof value.at !== 'string' || typeof value.origin !== 'string' || typeof value.published !== 'boolean') fail('at/origin/published');
  const entry: LedgerEntry = { ...checkCardRecord(value, ''), uid: value.uid, at: value.at, origin: value.origin, published: value.published };
  if (value.provisional !== undefined) entry.provisional = isInt(value.provisional, -MAX_SIGNED, MAX_SIGNED) ? value.provisional : fail('provisional');
  if (value.conflict !== undefined) {
    const c = value.conflict;
    if (!isRecord(c) || typeof c.origin !== 'string' || typeof c.at !== 'string') fail('conflict');
    entry.conflict = { ...checkCardRecord(c, 'conflict.'), origin: c.origin, at: c.at };
  }
  if (value.owed !== undefined) entry.owed = checkOwed(value.owed);
  return entry;
}

export function cardRecordOf(r: CardRecord): CardRecord {
  const out: CardRecord = { memberId: r.memberId, counter: r.counter };
  if (r.points !== undefined) out.points = r.points;
  if (r.balance !== undefined) out.balance = r.balance;
  return out;
}

export function sameCardRecord(a: CardRecord, b: CardRecord): boolean {
  return a.memberId === b.memberId && a.counter === b.counter && a.points === b.points && a.balance === b.balance;
}
