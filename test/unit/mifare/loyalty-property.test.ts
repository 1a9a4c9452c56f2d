import assert from 'node:assert/strict';
import { type TearMode, VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import {
  LoyaltyKeyring,
  type IssueRequest,
  type LoyaltyLayout,
  type LoyaltyOperation,
  type LoyaltyOutcomeStatus,
  defineLayout,
  runLoyaltyCardSession,
  runLoyaltyIssue,
  settleUncertain,
} from '../../../lib/mifare/loyalty';
import { readCard as read } from './card-fixtures';

/** mulberry32: small, seedable, good enough to pick test cases deterministically. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODES: readonly TearMode[] = ['before', 'after', 'partial'];
const LAYOUTS: readonly LoyaltyLayout[] = [
  defineLayout({ programId: 31, purses: ['points', 'balance'] }),
  defineLayout({ programId: 31, purses: ['points'], sector: 3 }),
  defineLayout({ programId: 31, purses: ['balance'], sector: 14, maxBalance: 20_000 }),
  defineLayout({ programId: 31, purses: ['points', 'balance'], cardKind: '4k', sector: 36 }),
  defineLayout({ programId: 31, purses: ['points', 'balance'], keys: new LoyaltyKeyring({ id: 9, key: '31313131313131313131313131313132' }) }),
];
const SEQUENCES = 1200;

function randomOperation(rand: () => number, layout: LoyaltyLayout): LoyaltyOperation {
  const int = (max: number): number => Math.floor(rand() * (max + 1));
  const op: LoyaltyOperation = {};
  if (layout.purses.includes('points')) {
    if (rand() < 0.6) op.earnPoints = int(50);
    if (rand() < 0.4) op.redeemPoints = int(80);
  }
  if (layout.purses.includes('balance')) {
    if (rand() < 0.5) op.debit = int(4000);
    if (rand() < 0.4) op.credit = int(3000);
  }
  if (rand() < 0.03) op.debit = -1; // refused: negative
  return op;
}

interface Totals {
  points: number;
  balance: number;
  committed: number;
}

describe('mifare/loyalty property: random operations with random tears', () => {
  it(`${SEQUENCES} seeded sequences: the final card equals the issued values plus exactly the committed operations`, async () => {
    const statuses = new Map<LoyaltyOutcomeStatus, number>();
    let settledCommitted = 0;
    let settledNot = 0;
    for (let seq = 0; seq < SEQUENCES; seq++) {
      const rand = prng(0x10ca1 + seq);
      const layout = LAYOUTS[seq % LAYOUTS.length];
      const hasPoints = layout.purses.includes('points');
      const hasBalance = layout.purses.includes('balance');

      const request: IssueRequest = { memberId: seq };
      if (hasPoints) request.points = Math.floor(rand() * 100);
      if (hasBalance) request.balance = Math.floor(rand() * 10_000);
      let card = new VirtualMifareCard({ kind: layout.cardKind, uid: 'A1B2C3D4' });
      const issue = await runLoyaltyIssue(card, layout, request);
      assert.equal(issue.status, 'committed');

      // The ledger: issued values plus the operations whose commit is certain or settled.
      const ledger: Totals = { points: request.points ?? 0, balance: request.balance ?? 0, committed: 0 };
      const applied: LoyaltyOperation[] = [];
      let pending: { outcome: Awaited<ReturnType<typeof runLoyaltyCardSession>>; op: LoyaltyOperation } | undefined;
      const commit = (op: LoyaltyOperation): void => {
        applied.push(op);
        ledger.points += (op.earnPoints ?? 0) - (op.redeemPoints ?? 0);
        ledger.balance += (op.credit ?? 0) - (op.debit ?? 0);
        ledger.committed++;
      };

      const steps = 3 + Math.floor(rand() * 8);
      for (let step = 0; step <= steps; step++) {
        // Each tap is a fresh presentation of the same card.
        card = VirtualMifareCard.fromImage(card.toImage());
        const label = `seq ${seq} step ${step}`;
        const found = read(card, layout);
        assert.equal(found.kind, 'ok', `${label}: ${found.kind}`);
        if (found.kind !== 'ok') return;
        if (pending !== undefined) {
          const settled = settleUncertain(pending.outcome, found);
          assert.notEqual(settled, 'unknown', `${label}: the card is neither the old nor the new state`);
          if (settled === 'committed') {
            commit(pending.op);
            settledCommitted++;
          } else settledNot++;
          pending = undefined;
        }
        assert.equal(found.state.points, hasPoints ? ledger.points : undefined, label);
        assert.equal(found.state.balance, hasBalance ? ledger.balance : undefined, label);
        assert.equal(found.state.counter, ledger.committed % 256, label);

        const last = step === steps;
        const op = last ? {} : randomOperation(rand, layout);
        if (!last && rand() < 0.7) card.tearAfterWrites(Math.floor(rand() * 6), MODES[Math.floor(rand() * 3)]);
        const outcome = await runLoyaltyCardSession(card, layout, op);
        statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
        const isNoop = !op.earnPoints && !op.redeemPoints && !op.debit && !op.credit;

        switch (outcome.status) {
          case 'committed':
            assert.equal(outcome.committed, true);
            assert.equal(outcome.uncertain, false);
            if (!isNoop) commit(op);
            break;
          case 'uncertain':
            assert.equal(outcome.committed, false);
            assert.equal(outcome.uncertain, true);
            assert.equal(outcome.after, undefined);
            pending = { outcome, op };
            break;
          case 'not-committed':
            assert.equal(outcome.committed, false);
            assert.equal(outcome.error?.code, 'card-removed');
            break;
          case 'refused':
            assert.ok(['overdraft', 'insufficient-points', 'overflow', 'invalid-amount'].includes(outcome.error?.code ?? ''), `${label}: ${outcome.error?.code}`);
            assert.equal(outcome.writes, 0, `${label}: a refused operation wrote`);
            break;
          default:
            assert.fail(`${label}: unexpected ${outcome.status} (${outcome.error?.message ?? ''})`);
        }
        if (outcome.after !== undefined) {
          assert.equal(outcome.after.points, hasPoints ? ledger.points : undefined, `${label}: reported points`);
          assert.equal(outcome.after.balance, hasBalance ? ledger.balance : undefined, `${label}: reported balance`);
        }
        if (last) {
          assert.equal(outcome.status, 'committed');
          assert.equal(outcome.verified, true);
        }
      }

      // Independent recount from the list of committed operations.
      const final = read(card, layout);
      assert.equal(final.kind, 'ok');
      if (final.kind !== 'ok') return;
      assert.equal(final.needsRepair, false, `seq ${seq}: the final inquiry left the card unrepaired`);
      const sum = (f: (op: LoyaltyOperation) => number): number => applied.reduce((acc, op) => acc + f(op), 0);
      if (hasPoints) assert.equal(final.state.points, (request.points ?? 0) + sum((o) => (o.earnPoints ?? 0) - (o.redeemPoints ?? 0)));
      if (hasBalance) assert.equal(final.state.balance, (request.balance ?? 0) + sum((o) => (o.credit ?? 0) - (o.debit ?? 0)));
      assert.equal(final.state.counter, applied.length % 256);
    }
    // The run really exercised every path.
    for (const status of ['committed', 'uncertain', 'not-committed', 'refused'] as const) {
      assert.ok((statuses.get(status) ?? 0) > 20, `${status} happened only ${statuses.get(status) ?? 0} times`);
    }
    assert.ok(settledCommitted > 10 && settledNot > 10, `settled ${settledCommitted} committed, ${settledNot} not`);
  });
});
