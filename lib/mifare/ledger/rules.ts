/**
 * The ledger's two rules, pure (docs/loyalty-card.md, "The shadow ledger"):
 * - judge: is the state a card presents at least as new as the one the ledger knows?
 * - merge: a record from another machine against ours — the higher counter wins; two
 *   different states for the same counter are a conflict, flagged, and every machine keeps
 *   the same one of them.
 * Counters count mod 65536; "newer" means ahead by less than half the circle.
 */
import { type CardRecord, type LedgerEntry, cardRecordOf, sameCardRecord } from './entry';

export const LEDGER_COUNTER_MODULO = 65536;
const HALF = LEDGER_COUNTER_MODULO / 2;

/**
 * What an offline machine does with a card its ledger has never seen: `accept` it and
 * record it; `refuse` it; or accept it but let it spend at most `unknownCardLimit` minor
 * units of stored value (net) until another machine's record vouches for it (`limit`).
 */
export type UnknownCardPolicy = 'accept' | 'refuse' | 'limit';
export const UNKNOWN_CARD_POLICIES: readonly UnknownCardPolicy[] = ['accept', 'refuse', 'limit'];

/** older: an earlier state (a restored dump); forked: another state for the same counter (a clone); version-1: a dump from before the card's upgrade. */
export type RollbackReason = 'older' | 'forked' | 'version-1';

export type LedgerVerdict =
  | { accept: true; status: 'known' | 'ahead' | 'unknown'; entry?: LedgerEntry; /** Limit policy: stored value it may still spend here. */ allowance?: number }
  | { accept: false; status: 'rollback'; reason: RollbackReason; entry: LedgerEntry }
  | { accept: false; status: 'unknown'; reason: 'unknown-card' };

export interface JudgePolicy {
  unknownCards: UnknownCardPolicy;
  unknownCardLimit: number;
}

/** (b - a) mod 65536. */
export function ledgerDistance(a: number, b: number): number {
  return (((b - a) % LEDGER_COUNTER_MODULO) + LEDGER_COUNTER_MODULO) % LEDGER_COUNTER_MODULO;
}

function allowance(entry: LedgerEntry | undefined, policy: JudgePolicy): { allowance?: number } {
  if (policy.unknownCards !== 'limit') return {};
  if (entry === undefined) return { allowance: policy.unknownCardLimit };
  return entry.provisional === undefined ? {} : { allowance: Math.max(0, policy.unknownCardLimit - entry.provisional) };
}

/** `version`: the layout version of the record the card presents (1 before its upgrade). */
export function judge(entry: LedgerEntry | undefined, seen: CardRecord, version: 1 | 2, policy: JudgePolicy): LedgerVerdict {
  if (entry === undefined) {
    if (policy.unknownCards === 'refuse') return { accept: false, status: 'unknown', reason: 'unknown-card' };
    return { accept: true, status: 'unknown', ...allowance(undefined, policy) };
  }
  // The ledger records version 2 states only: a version 1 state is from before the upgrade.
  if (version === 1) return { accept: false, status: 'rollback', reason: 'version-1', entry };
  const d = ledgerDistance(entry.counter, seen.counter);
  if (d === 0) {
    return sameCardRecord(cardRecordOf(entry), seen)
      ? { accept: true, status: 'known', entry, ...allowance(entry, policy) }
      : { accept: false, status: 'rollback', reason: 'forked', entry };
  }
  if (d < HALF) return { accept: true, status: 'ahead', entry, ...allowance(entry, policy) };
  return { accept: false, status: 'rollback', reason: 'older', entry };
}

/** A state another machine recorded (a replicated record, checked). */
export interface RemoteRecord extends CardRecord {
  uid: string;
  origin: string;
  at: string;
}

export type MergeResult =
  /** Ours is the same, or newer: keep it (`republish`: the sender's copy is older — put ours back). */
  | { action: 'keep'; republish: boolean }
  /** Take theirs (`conflict`: it won a same-counter conflict). */
  | { action: 'take'; entry: LedgerEntry; conflict: boolean }
  /** Same counter, another state, and ours wins: flagged on ours, and ours is put back. */
  | { action: 'flag'; entry: LedgerEntry };

/** Which of two states for the same counter every machine keeps: less stored value, then fewer points, then the origin's name. */
function wins(a: RemoteRecord | LedgerEntry, b: RemoteRecord | LedgerEntry): boolean {
  const key = (r: RemoteRecord | LedgerEntry): [number, number, string, string] => [r.balance ?? 0, r.points ?? 0, r.origin, r.at];
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i];
  return true;
}

function conflictOf(r: RemoteRecord | LedgerEntry): NonNullable<LedgerEntry['conflict']> {
  return { ...cardRecordOf(r), origin: r.origin, at: r.at };
}

export function merge(local: LedgerEntry | undefined, remote: RemoteRecord): MergeResult {
  // Ours stays local: what the card owes, and how much an unconfirmed card spent here.
  const fromRemote = (conflict?: LedgerEntry['conflict']): LedgerEntry => {
    const entry: LedgerEntry = { ...cardRecordOf(remote), uid: remote.uid, at: remote.at, origin: remote.origin, published: true };
    if (local?.owed !== undefined) entry.owed = local.owed;
    if (conflict !== undefined) entry.conflict = conflict;
    return entry;
  };
  if (local === undefined) return { action: 'take', entry: fromRemote(), conflict: false };
  const d = ledgerDistance(local.counter, remote.counter);
  if (d === 0) {
    if (sameCardRecord(cardRecordOf(local), remote)) return { action: 'keep', republish: false };
    if (wins(remote, local)) return { action: 'take', entry: fromRemote(conflictOf(local)), conflict: true };
    const known = local.conflict !== undefined && sameCardRecord(cardRecordOf(local.conflict), remote) && local.conflict.origin === remote.origin;
    if (known) return { action: 'keep', republish: true };
    return { action: 'flag', entry: { ...local, conflict: conflictOf(remote), published: false } };
  }
  if (d < HALF) return { action: 'take', entry: fromRemote(), conflict: false };
  return { action: 'keep', republish: true };
}
