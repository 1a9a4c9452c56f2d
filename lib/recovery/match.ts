/**
 * The matching rule: which entries of the terminal's full report could be the record of a
 * journal entry whose outcome is unknown. An entry of the report is a candidate when
 *  1. it comes after the entry's anchor (the newest receipt the journal knew when the
 *     transaction began) — if the anchor is no longer in the report, the log was emptied
 *     (settlement, clear) since, and every entry qualifies;
 *  2. it is not a receipt already accounted for (answered or recovered journal entries);
 *  3. its type fits — the receipt type rule of lib/protocol/transaction-answer.ts
 *     (purchase → purchase; purchase-with-cashback → purchase with that amount-other;
 *     refund → refund; void → purchasereversal or refundreversal), and a plain purchase
 *     has no amount-other;
 *  4. its amount is the requested one (a void without an amount: any amount);
 *  5. its currency is the requested one (or the terminal's, from the report header);
 *  6. its time lies in the window [begin − tolerance, end + late + tolerance], on the
 *     terminal's clock as measured from the report header (an entry without a time stays
 *     a candidate).
 * Then: no candidate, or only declined ones → `declined-or-not-recorded`; exactly one,
 * approved, that no other open entry could also claim → `approved`; anything else →
 * `ambiguous` (e.g. two identical purchases in the window from another client).
 */
import { definedOnly } from '../objects';
import { receiptTypeFits } from '../protocol/transaction-answer';
import type { ReportTransaction, XReport } from '../protocol/types';
import { localIsoToMs } from '../protocol/values';
import type { TerminalClock } from './terminal-time';
import type { JournalEntry, ReceiptRef, RecoveryOutcome } from './types';

export interface MatchOptions {
  /** Clock error allowed on both ends of the window (default 30 s). */
  clockToleranceMs: number;
  /** How long after the client lost the answer the terminal may still record (default 2 min). */
  lateMs: number;
  /** For an entry left in flight by a crash (no unknown time): the longest a transaction takes (default 5 min). */
  maxTransactionMs: number;
}

export const DEFAULT_MATCH_OPTIONS: Readonly<MatchOptions> = Object.freeze({
  clockToleranceMs: 30_000,
  lateMs: 120_000,
  maxTransactionMs: 300_000,
});

export interface Candidate {
  /** Position in report.transactions. */
  index: number;
  entry: ReportTransaction;
}

export interface CandidateSearch {
  candidates: Candidate[];
  /** The anchor was found in the report (else the log was emptied since, or there was none). */
  anchorFound: boolean;
}

export interface Decision {
  outcome: RecoveryOutcome;
  receipt?: ReceiptRef;
  reason: string;
}

function norm(s: string | undefined): string {
  return (s ?? '').toLowerCase().replace(/[^a-z]/g, '');
}

function sameSeq(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = Number(a);
  const y = Number(b);
  return Number.isFinite(x) && Number.isFinite(y) ? x === y : a.trim() === b.trim();
}

export function isApprovedEntry(t: ReportTransaction): boolean {
  return norm(t.status) === 'approved';
}

export function refOf(t: ReportTransaction, tid?: string): ReceiptRef {
  return definedOnly<ReceiptRef>({ approved: isApprovedEntry(t), seq: t.seq, rrn: t.rrn, time: t.time, type: t.type, amount: t.amount, tid });
}

/** Whether a report entry is the receipt `ref` (by RRN and number; without an RRN, by number and time). */
export function refMatches(ref: ReceiptRef, t: ReportTransaction): boolean {
  if (ref.rrn !== undefined && t.rrn !== undefined) {
    return ref.rrn === t.rrn && (ref.seq === undefined || t.seq === undefined || sameSeq(ref.seq, t.seq));
  }
  if (ref.seq === undefined || t.seq === undefined || !sameSeq(ref.seq, t.seq)) return false;
  return ref.time === undefined || t.time === undefined || ref.time === t.time;
}

/** The receipt type rule of lib/protocol (the one the client checks answers with), plus what the report adds: amount-other. */
function typeFits(entry: JournalEntry, t: ReportTransaction): boolean {
  const req = entry.request;
  if (t.type === undefined || !receiptTypeFits(req.type, t.type)) return false;
  if (req.type === 'purchase') return !(t.amountOther !== undefined && t.amountOther > 0);
  if (req.type === 'purchase-with-cashback') return t.amountOther === undefined || t.amountOther === req.amountOther;
  return true;
}

function window(entry: JournalEntry, clock: TerminalClock, o: MatchOptions): { from: number; to: number } {
  const begun = Date.parse(entry.begunAt);
  const lost = entry.unknownAt !== undefined ? Date.parse(entry.unknownAt) : begun + o.maxTransactionMs;
  return { from: begun + clock.offsetMs - o.clockToleranceMs, to: lost + clock.offsetMs + o.lateMs + o.clockToleranceMs };
}

/** The report entries that could be this journal entry's record. */
export function findCandidates(
  entry: JournalEntry,
  report: XReport,
  clock: TerminalClock,
  claims: readonly ReceiptRef[],
  options: MatchOptions = DEFAULT_MATCH_OPTIONS,
): CandidateSearch {
  const list = report.transactions;
  let start = 0;
  let anchorFound = false;
  if (entry.anchor) {
    for (let i = list.length - 1; i >= 0; i--) {
      if (refMatches(entry.anchor, list[i])) {
        start = i + 1;
        anchorFound = true;
        break;
      }
    }
  }
  const currency = entry.request.currency ?? report.header.currency;
  const { from, to } = window(entry, clock, options);
  const candidates: Candidate[] = [];
  for (let index = start; index < list.length; index++) {
    const t = list[index];
    if (claims.some((c) => refMatches(c, t))) continue;
    if (!typeFits(entry, t)) continue;
    if (entry.request.amount !== undefined && t.amount !== entry.request.amount) continue;
    if (currency !== undefined && t.currency !== undefined && Number(t.currency) !== Number(currency)) continue;
    const time = localIsoToMs(t.time);
    if (time !== undefined && (time < from || time > to)) continue;
    candidates.push({ index, entry: t });
  }
  return { candidates, anchorFound };
}

/**
 * The outcome from the candidates. `contested`: positions another open journal entry
 * could also claim.
 */
export function decide(candidates: readonly Candidate[], contested: ReadonlySet<number>, tid?: string): Decision {
  if (candidates.length === 0) return { outcome: 'declined-or-not-recorded', reason: 'no-matching-receipt' };
  const approved = candidates.filter((c) => isApprovedEntry(c.entry));
  if (approved.length === 0) {
    return candidates.length === 1
      ? { outcome: 'declined-or-not-recorded', receipt: refOf(candidates[0].entry, tid), reason: 'declined' }
      : { outcome: 'declined-or-not-recorded', reason: 'only-declined-receipts' };
  }
  if (candidates.length > 1) return { outcome: 'ambiguous', reason: 'several-candidates' };
  if (contested.has(candidates[0].index)) return { outcome: 'ambiguous', reason: 'another-open-entry-matches' };
  return { outcome: 'approved', receipt: refOf(candidates[0].entry, tid), reason: 'receipt-found' };
}
