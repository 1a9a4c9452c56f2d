import assert from 'node:assert/strict';
import type { ReportTransaction, XReport } from '../../../lib/protocol/types';
import { localIsoToMs } from '../../../lib/protocol/values';
import {
  DEFAULT_MATCH_OPTIONS,
  decide,
  findCandidates,
  refMatches,
  terminalClock,
  type JournalEntry,
  type TerminalClock,
} from '../../../lib/recovery';

// The terminal's clock runs 3 h ahead of UTC (Moscow) and 20 s fast.
const BEGUN = '2026-03-01T09:00:00.000Z';
const CLOCK: TerminalClock = { offsetMs: 3 * 3_600_000 + 20_000, measured: true };

function t(seq: number, fields: Partial<ReportTransaction> = {}): ReportTransaction {
  return {
    status: 'approved',
    state: 'active',
    type: 'purchase',
    seq: String(seq).padStart(6, '0'),
    amount: 1000,
    rrn: `RRN${seq}`,
    time: '2026-03-01T12:00:25',
    currency: '643',
    pan: '************1111',
    ...fields,
  };
}

function report(transactions: ReportTransaction[], header: Partial<XReport['header']> = {}): XReport {
  return { header: { title: [], currency: '643', tid: '10000001', time: '2026-03-01T12:05:20', ...header }, transactions, totals: [] };
}

function entry(fields: Partial<JournalEntry> = {}): JournalEntry {
  return {
    id: 'e1',
    terminal: 't:1',
    request: { type: 'purchase', amount: 1000 },
    annotations: {},
    begunAt: BEGUN,
    state: 'unknown',
    unknownAt: '2026-03-01T09:00:30.000Z',
    ...fields,
  };
}

function seqs(e: JournalEntry, r: XReport, claims = [] as Parameters<typeof findCandidates>[3]): string[] {
  return findCandidates(e, r, CLOCK, claims).candidates.map((c) => c.entry.seq ?? '');
}

describe('recovery/match: the matching rule', () => {
  it('measures the terminal clock from the report header', () => {
    const readAt = Date.parse('2026-03-01T09:05:00.000Z');
    assert.deepEqual(terminalClock(report([]), readAt), { offsetMs: CLOCK.offsetMs, measured: true });
    assert.equal(terminalClock(report([], { time: undefined }), readAt).measured, false);
    assert.equal(localIsoToMs('2026-03-01T12:00:25'), Date.parse('2026-03-01T12:00:25Z'));
    assert.equal(localIsoToMs('not a time'), undefined);
  });

  it('finds the one approved purchase after the anchor', () => {
    const r = report([t(1), t(2, { time: '2026-03-01T12:00:31' })]);
    const e = entry({ anchor: { seq: '000001', rrn: 'RRN1' } });
    const found = findCandidates(e, r, CLOCK, []);
    assert.equal(found.anchorFound, true);
    assert.deepEqual(
      found.candidates.map((c) => c.index),
      [1],
    );
    const d = decide(found.candidates, new Set());
    assert.equal(d.outcome, 'approved');
    assert.equal(d.receipt?.seq, '000002');
  });

  it('ignores what came before the anchor and what is already claimed', () => {
    const r = report([t(1), t(2), t(3)]);
    assert.deepEqual(seqs(entry({ anchor: { seq: '000002', rrn: 'RRN2' } }), r), ['000003']);
    assert.deepEqual(seqs(entry(), r, [{ seq: '000001', rrn: 'RRN1' }, { seq: '000003', rrn: 'RRN3' }]), ['000002']);
  });

  it('takes the whole report when the anchor is gone (the log was emptied by a settlement)', () => {
    const found = findCandidates(entry({ anchor: { seq: '000040', rrn: 'GONE' } }), report([t(41)]), CLOCK, []);
    assert.equal(found.anchorFound, false);
    assert.equal(found.candidates.length, 1);
  });

  it('matches type, amount, currency and the time window', () => {
    const r = report([
      t(1, { amount: 999 }),
      t(2, { type: 'refund' }),
      t(3, { currency: '840' }),
      t(4, { time: '2026-03-01T11:58:00' }), // before the transaction began (beyond the tolerance)
      t(5, { time: '2026-03-01T12:04:00' }), // long after the answer was lost (beyond late + tolerance)
      t(6, { amountOther: 500 }), // a cashback purchase is not a plain purchase
      t(7, { time: undefined }), // no time: stays a candidate
      t(8),
    ]);
    assert.deepEqual(seqs(entry(), r), ['000007', '000008']);
    // A purchase without amount-other may still be the cashback one (a terminal that leaves `ao` out): kept, never dropped.
    assert.deepEqual(seqs(entry({ request: { type: 'purchase-with-cashback', amount: 1000, amountOther: 500 } }), r), ['000006', '000007', '000008']);
    assert.deepEqual(seqs(entry({ request: { type: 'purchase-with-cashback', amount: 1000, amountOther: 400 } }), r), ['000007', '000008']);
    assert.deepEqual(seqs(entry({ request: { type: 'refund', amount: 1000 } }), r), ['000002']);
    assert.deepEqual(seqs(entry({ request: { type: 'purchase', amount: 1000, currency: '840' } }), r), ['000003']);
    const voids = report([t(9, { type: 'purchasereversal', amount: 300 }), t(10, { type: 'refundreversal', amount: 200 })]);
    assert.deepEqual(seqs(entry({ request: { type: 'void', number: 'last' } }), voids), ['000009', '000010'], 'a void without an amount: any amount');
    assert.deepEqual(seqs(entry({ request: { type: 'void', number: 'last', amount: 200 } }), voids), ['000010']);
  });

  it('widens the window for an entry a crash left in flight (no loss time)', () => {
    const late = report([t(1, { time: '2026-03-01T12:04:00' })]);
    const crashed = entry({ state: 'in-flight', unknownAt: undefined });
    assert.deepEqual(seqs(crashed, late), ['000001']);
    assert.deepEqual(
      findCandidates(entry(), late, CLOCK, [], { ...DEFAULT_MATCH_OPTIONS, lateMs: 600_000 }).candidates.length,
      1,
    );
  });

  it('decides: nothing found or only declined → declined-or-not-recorded', () => {
    assert.deepEqual(decide([], new Set()), { outcome: 'declined-or-not-recorded', reason: 'no-matching-receipt' });
    const one = decide([{ index: 0, entry: t(1, { status: 'declined' }) }], new Set(), '10000001');
    assert.equal(one.outcome, 'declined-or-not-recorded');
    assert.equal(one.receipt?.seq, '000001');
    assert.equal(one.receipt?.approved, false);
    const two = decide(
      [
        { index: 0, entry: t(1, { status: 'declined' }) },
        { index: 1, entry: t(2, { status: 'declined' }) },
      ],
      new Set(),
    );
    assert.deepEqual(two, { outcome: 'declined-or-not-recorded', reason: 'only-declined-receipts' });
  });

  it('is honest about its limit: two identical purchases in the window are ambiguous', () => {
    const r = report([t(1), t(2, { time: '2026-03-01T12:00:40' })]);
    const found = findCandidates(entry(), r, CLOCK, []);
    assert.deepEqual(decide(found.candidates, new Set()), { outcome: 'ambiguous', reason: 'several-candidates' });
    const mixed = [
      { index: 0, entry: t(1, { status: 'declined' }) },
      { index: 1, entry: t(2) },
    ];
    assert.equal(decide(mixed, new Set()).outcome, 'ambiguous', 'ours may be the declined one');
    assert.deepEqual(decide([{ index: 4, entry: t(5) }], new Set([4])), { outcome: 'ambiguous', reason: 'another-open-entry-matches' });
  });

  it('recognises a receipt by RRN and number, or by number and time without an RRN', () => {
    assert.ok(refMatches({ seq: '12', rrn: 'A' }, t(12, { rrn: 'A' })));
    assert.ok(!refMatches({ seq: '12', rrn: 'A' }, t(12, { rrn: 'B' })));
    assert.ok(refMatches({ seq: '000012', time: '2026-03-01T12:00:25' }, t(12, { rrn: undefined })));
    assert.ok(!refMatches({ seq: '000012', time: '2026-03-01T12:00:26' }, t(12, { rrn: undefined })));
    assert.ok(!refMatches({}, t(12)));
  });
});
