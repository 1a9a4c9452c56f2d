/**
 * The recovery procedure for one terminal (docs/reliability.md):
 *  1. take the journal's unresolved entries for the terminal (oldest first);
 *  2. wait until `settleMs` have passed since the last of them lost its answer (the
 *     terminal may still be finishing it);
 *  3. read the FULL report (admin password) and measure the terminal's clock;
 *  4. match each entry against the report (match.ts) → approved / declined-or-not-recorded /
 *     ambiguous, and journal the decision;
 *  5. vending: an approved payment whose requester asked for it (annotation `reverse`, or
 *     the `reverse: 'void-last'` option) is reversed with `void last` — only when its
 *     receipt is the very last entry of the log, only for a card payment, and only if no
 *     reversal was ever begun for it. Never anything else.
 * Nothing here sends a payment: the library never resends a transaction.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { JpayError, JpayValidationError, TransactionOutcomeUnknown } from '../errors';
import type { JpayClient } from '../client/jpay-client';
import type { TransactionSettlement } from '../client/transaction-hooks';
import type { XReport } from '../protocol/types';
import { definedOnly } from '../objects';
import { receiptRef, type TransactionJournal } from './journal';
import { DEFAULT_MATCH_OPTIONS, decide, findCandidates, refOf, type Candidate, type MatchOptions } from './match';
import { terminalClock } from './terminal-time';
import { ANNOTATION, DEFAULT_SETTLE_MS, terminalKey, type JournalEntry, type RecoveryRecord, type RecoveryResult, type RecoverySource, type RecoveryStep, type ReversalResult } from './types';

export interface RecoverOptions {
  /** For entries without a `reverse` annotation: reverse an approved payment (vending). Default 'never'. */
  reverse?: 'never' | 'void-last';
  /** Minimum time between losing the answer and reading the report (default 45 s; see docs). */
  settleMs?: number;
  match?: Partial<MatchOptions>;
  signal?: AbortSignal;
  /** Host clock (tests). */
  now?: () => number;
  /**
   * Per entry: why it is recovered (kept with the decision), and whether the decision is
   * kept for the entry's owner (nobody waiting for it receives it: delivery pending).
   */
  classify?: (entry: JournalEntry) => { source: RecoverySource; undelivered: boolean };
  /** Told what the recovery waits for (a status line); must not throw. */
  onStep?: (step: RecoveryStep) => void;
}

/** Waits `ms`; rejects with JpayError('recovery aborted') when `signal` aborts first. */
async function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return;
  await sleep(ms, undefined, { signal }).catch(() => {
    throw new JpayError('recovery aborted');
  });
}

function wantsReverse(entry: JournalEntry, fallback: RecoverOptions['reverse']): boolean {
  const own = entry.annotations[ANNOTATION.reverse];
  const asked = typeof own === 'boolean' ? own : fallback === 'void-last';
  return asked && (entry.request.type === 'purchase' || entry.request.type === 'purchase-with-cashback');
}

function isRecoveryVoid(entry: JournalEntry): boolean {
  return entry.annotations[ANNOTATION.recovery] === 'reversal';
}

/** What an earlier void (journaled) says about the reversal. */
function reversalFromEntry(v: JournalEntry): ReversalResult {
  const base: ReversalResult = { attempted: true, state: 'unknown', entryId: v.id };
  if (v.state === 'answered') {
    base.state = v.approved ? 'done' : 'failed';
    if (v.status !== undefined) base.status = v.status;
    if (v.receipt) base.receipt = v.receipt;
  } else if (v.state === 'recovered' && v.recovery) {
    base.state = v.recovery.outcome === 'approved' ? 'done' : v.recovery.outcome === 'ambiguous' ? 'unknown' : 'failed';
    if (v.recovery.receipt) base.receipt = v.recovery.receipt;
  } else if (v.state === 'not-sent') {
    base.attempted = false;
    base.state = 'failed';
    base.reason = 'not-sent';
  }
  return base;
}

/** Recovers every unresolved journal entry of the client's terminal. */
export async function recoverTerminal(client: JpayClient, journal: TransactionJournal, options: RecoverOptions = {}): Promise<RecoveryResult[]> {
  const terminal = terminalKey(client.host, client.port);
  return journal.exclusive(terminal, () => recoverLocked(client, journal, terminal, options));
}

async function recoverLocked(client: JpayClient, journal: TransactionJournal, terminal: string, options: RecoverOptions): Promise<RecoveryResult[]> {
  const now = options.now ?? Date.now;
  const match: MatchOptions = { ...DEFAULT_MATCH_OPTIONS, ...options.match };
  const entries = journal.unresolved(terminal).sort((a, b) => Date.parse(a.begunAt) - Date.parse(b.begunAt));
  if (entries.length === 0) return [];

  // Refused at once rather than after the settle time: the full report needs the password.
  if (!client.hasPassword) throw new JpayValidationError('password', 'is required to read the full report (recovery)');
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const lastLoss = Math.max(...entries.map((e) => Date.parse(e.unknownAt ?? e.begunAt)));
  const untilMs = lastLoss + settleMs;
  if (untilMs > now()) options.onStep?.({ step: 'waiting', untilMs });
  await delay(untilMs - now(), options.signal);

  options.onStep?.({ step: 'report' });
  const report = await client.report('full');
  const clock = terminalClock(report, now());
  const claims = journal.claims(terminal);
  const tid = report.header.tid;
  // The newest entry of the log anchors the next sale; a void sent below moves it on.
  const last = report.transactions.at(-1);
  if (last) await journal.seen(terminal, refOf(last, tid));

  const searches = entries.map((e) => findCandidates(e, report, clock, claims, match));
  const results: RecoveryResult[] = [];
  // Voids recovery sent earlier are settled first: their results tell the payments' reversal state.
  const order = entries.map((_e, i) => i).sort((a, b) => Number(isRecoveryVoid(entries[b])) - Number(isRecoveryVoid(entries[a])));
  for (const i of order) {
    const entry = entries[i];
    const contested = new Set<number>();
    searches.forEach((s, j) => {
      if (j !== i) for (const c of s.candidates) contested.add(c.index);
    });
    const changed = entry.tid !== undefined && tid !== undefined && entry.tid !== tid;
    const decision = changed ? { outcome: 'ambiguous' as const, reason: 'terminal-changed' } : decide(searches[i].candidates, contested, tid);
    const record: RecoveryRecord = { outcome: decision.outcome, at: new Date(now()).toISOString(), candidates: searches[i].candidates.length, reason: decision.reason };
    if ('receipt' in decision && decision.receipt) record.receipt = decision.receipt;
    const kind = options.classify?.(entry);
    if (kind) record.source = kind.source;
    if (record.outcome === 'approved' && wantsReverse(entry, options.reverse)) {
      options.onStep?.({ step: 'reversing' });
      record.reversal = await reverse(client, journal, entry, report, searches[i].candidates);
    }
    await journal.recovered(entry.id, record, { undelivered: kind?.undelivered === true });
    results.push(resultOf(entry, record));
  }
  return results.sort((a, b) => Date.parse(a.begunAt) - Date.parse(b.begunAt));
}

/** `void last`, only when it can reverse nothing but this payment. */
async function reverse(client: JpayClient, journal: TransactionJournal, entry: JournalEntry, report: XReport, candidates: Candidate[]): Promise<ReversalResult> {
  const earlier = journal.reversalsOf(entry.id);
  if (earlier.length > 0) return reversalFromEntry(earlier[earlier.length - 1]);
  const found = candidates[0];
  if (!found) return { attempted: false, state: 'skipped', reason: 'no-receipt' };
  if (found.index !== report.transactions.length - 1) return { attempted: false, state: 'skipped', reason: 'not-last-in-log' };
  if (entry.request.sbp === true || found.entry.pan === undefined) return { attempted: false, state: 'skipped', reason: 'not-a-card-payment' };
  if (found.entry.amount === undefined) return { attempted: false, state: 'skipped', reason: 'no-amount' };
  const request = {
    type: 'void' as const,
    number: 'last' as const,
    amount: found.entry.amount,
    ...(entry.request.currency !== undefined ? { currency: entry.request.currency } : {}),
  };
  const annotations = { [ANNOTATION.recovery]: 'reversal', [ANNOTATION.reversalOf]: entry.id };
  // Journaled here, before anything is sent, whether or not the client carries the journal's hooks.
  const vid = await journal.begin({ request, host: client.host, port: client.port, encrypted: client.encrypted, annotations });
  let settlement: TransactionSettlement;
  try {
    settlement = { kind: 'answered', result: await client.transaction(request, { annotations: { ...annotations, [ANNOTATION.journalEntry]: vid } }) };
  } catch (error) {
    // Every client error but an unknown outcome means nothing was sent.
    const e = error instanceof Error ? error : new JpayError(String(error));
    settlement = e instanceof TransactionOutcomeUnknown ? { kind: 'unknown', error: e } : { kind: 'not-sent', error: e };
  }
  // Settled here unless the client's hooks (the journal's) did.
  if (journal.isLive(vid)) await journal.settled(vid, settlement).catch(() => undefined);
  if (settlement.kind !== 'answered') {
    const reason = `${settlement.error.name}: ${settlement.error.message}`.slice(0, 200);
    return settlement.kind === 'unknown' ? { attempted: true, state: 'unknown', reason, entryId: vid } : { attempted: false, state: 'failed', reason, entryId: vid };
  }
  const { result } = settlement;
  return definedOnly<ReversalResult>({ attempted: true, state: result.approved ? 'done' : 'failed', status: result.status, entryId: vid, receipt: receiptRef(result.receipt) });
}

/** What a decision says about an entry (also for an entry read back from the journal). */
export function resultOf(entry: JournalEntry, record: RecoveryRecord): RecoveryResult {
  const { id, terminal, request, annotations, begunAt } = entry;
  const { outcome, candidates, at: resolvedAt, receipt, reason, reversal } = record;
  return definedOnly<RecoveryResult>({ id, terminal, request, annotations, begunAt, outcome, candidates, resolvedAt, receipt, reason, reversal });
}
