import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import { isSectorTrailer } from '../../../lib/mifare/geometry';
import { VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import {
  type DecodedCard,
  type LoyaltyErrorCode,
  type LoyaltyLayout,
  type LoyaltyOperation,
  LoyaltyError,
  defineLayout,
  planIssue,
  planOperation,
} from '../../../lib/mifare/loyalty';
import { readCard as read } from './card-fixtures';

const BOTH = defineLayout({ programId: 500, purses: ['points', 'balance'], maxPoints: 10_000, maxBalance: 1_000_000 });
const BALANCE = defineLayout({ programId: 500, purses: ['balance'] });

function issuedCard(layout: LoyaltyLayout, points: number, balance: number): VirtualMifareCard {
  const card = new VirtualMifareCard({ kind: layout.cardKind, uid: '11223344' });
  const request = { memberId: 77, ...(layout.purses.includes('points') ? { points } : {}), ...(layout.purses.includes('balance') ? { balance } : {}) };
  for (const w of planIssue(layout, read(card, layout), request).writes) assert.equal(card.write(w.block, w.data).ok, true);
  return card;
}

function refuses(layout: LoyaltyLayout, card: DecodedCard, op: LoyaltyOperation, code: LoyaltyErrorCode, field: string): void {
  assert.throws(
    () => planOperation(layout, card, op),
    (err: unknown) => err instanceof LoyaltyError && err instanceof JpayValidationError && err.code === code && err.field === field && err.message.includes(code),
    `${JSON.stringify(op)} should be refused with ${code} on ${field}`,
  );
}

describe('mifare/loyalty planOperation', () => {
  const card = read(issuedCard(BOTH, 300, 2500), BOTH);

  it('computes the new state with integer arithmetic and counter + 1', () => {
    const plan = planOperation(BOTH, card, { debit: 990, earnPoints: 9, credit: 100, redeemPoints: 50 });
    assert.deepEqual(plan.before, { programId: 500, memberId: 77, counter: 0, points: 300, balance: 2500 });
    assert.deepEqual(plan.after, { programId: 500, memberId: 77, counter: 1, points: 259, balance: 1610 });
  });

  it('writes the other slot first (its last block commits), then the backup copy; never the header or a trailer', () => {
    const plan = planOperation(BOTH, card, { earnPoints: 1 });
    assert.deepEqual(plan.writes.map((w) => [w.block, w.phase]), [[8, 'commit'], [9, 'commit'], [5, 'backup'], [6, 'backup']]);
    assert.equal(plan.commitIndex, 1);
    for (const w of plan.writes) {
      assert.notEqual(w.block, BOTH.headerBlock);
      assert.equal(isSectorTrailer(w.block, '1k'), false);
      assert.equal(w.data.length, 16);
    }
    // From a state where B is current, A is written first.
    const c = issuedCard(BOTH, 300, 2500);
    for (const w of plan.writes.slice(0, 2)) c.write(w.block, w.data);
    const next = planOperation(BOTH, read(c, BOTH), { earnPoints: 1 });
    assert.deepEqual(next.writes.map((w) => w.block), [5, 6, 8, 9]);
    assert.equal(next.after.counter, 2);
  });

  it('an empty operation plans no write and keeps the counter', () => {
    for (const op of [{}, { earnPoints: 0, debit: 0 }]) {
      const plan = planOperation(BOTH, card, op);
      assert.deepEqual(plan.writes, []);
      assert.equal(plan.commitIndex, -1);
      assert.deepEqual(plan.after, plan.before);
    }
  });

  it('refuses overdraft, insufficient points and overflow, naming the rule', () => {
    refuses(BOTH, card, { debit: 2501 }, 'overdraft', 'debit');
    refuses(BOTH, card, { debit: 2601, credit: 100 }, 'overdraft', 'debit');
    refuses(BOTH, card, { redeemPoints: 301 }, 'insufficient-points', 'redeemPoints');
    refuses(BOTH, card, { earnPoints: 9701 }, 'overflow', 'earnPoints');
    refuses(BOTH, card, { credit: 997_501 }, 'overflow', 'credit');
    refuses(BOTH, card, { credit: 2 ** 31 }, 'overflow', 'credit');
    assert.equal(planOperation(BOTH, card, { debit: 2500 }).after.balance, 0);
    assert.equal(planOperation(BOTH, card, { earnPoints: 9700 }).after.points, 10_000);
  });

  it('refuses negative, fractional and non-number amounts (minor units are integers)', () => {
    refuses(BOTH, card, { debit: -1 }, 'invalid-amount', 'debit');
    refuses(BOTH, card, { credit: 0.5 }, 'invalid-amount', 'credit');
    refuses(BOTH, card, { earnPoints: Number.NaN }, 'invalid-amount', 'earnPoints');
    refuses(BOTH, card, { redeemPoints: Infinity }, 'invalid-amount', 'redeemPoints');
    refuses(BOTH, card, { debit: '5' as unknown as number }, 'invalid-amount', 'debit');
  });

  it('refuses an operation on a purse the layout does not have', () => {
    const balanceCard = read(issuedCard(BALANCE, 0, 100), BALANCE);
    refuses(BALANCE, balanceCard, { earnPoints: 1 }, 'no-such-purse', 'earnPoints');
    assert.equal(planOperation(BALANCE, balanceCard, { debit: 100 }).after.points, undefined);
  });

  it('refuses a card of another program (decoded as foreign, or handed over from another layout)', () => {
    const other = defineLayout({ programId: 501, purses: ['points', 'balance'] });
    const foreign = read(issuedCard(BOTH, 1, 1), other);
    assert.equal(foreign.kind, 'foreign');
    refuses(other, foreign, { earnPoints: 1 }, 'foreign-program', 'card');
    refuses(other, card, { earnPoints: 1 }, 'foreign-program', 'card');
  });
});

describe('mifare/loyalty planIssue', () => {
  it('formats a blank card: header, slot A (commit), slot B, counter 0', () => {
    const blank = read(new VirtualMifareCard({ uid: '11223344' }), BOTH);
    const plan = planIssue(BOTH, blank, { memberId: 4_000_000_000, points: 10, balance: 0 });
    assert.deepEqual(plan.writes.map((w) => w.block), [4, 5, 6, 8, 9]);
    assert.equal(plan.commitIndex, 2);
    assert.deepEqual(plan.after, { programId: 500, memberId: 4_000_000_000, counter: 0, points: 10, balance: 0 });
  });

  it('refuses an issued card, bad member ids, bad or out-of-range initial values and absent purses', () => {
    const issued = read(issuedCard(BOTH, 1, 1), BOTH);
    assert.throws(() => planIssue(BOTH, issued, { memberId: 1 }), (err: unknown) => err instanceof LoyaltyError && err.code === 'card-not-blank');
    const blank = read(new VirtualMifareCard({ uid: '11223344' }), BOTH);
    const cases: [Parameters<typeof planIssue>[2], LoyaltyErrorCode][] = [
      [{ memberId: -1 }, 'invalid-member-id'],
      [{ memberId: 2 ** 32 }, 'invalid-member-id'],
      [{ memberId: 1, balance: -5 }, 'invalid-amount'],
      [{ memberId: 1, points: 10_001 }, 'overflow'],
      [{ memberId: 1, balance: 1.25 }, 'invalid-amount'],
    ];
    for (const [request, code] of cases) {
      assert.throws(() => planIssue(BOTH, blank, request), (err: unknown) => err instanceof LoyaltyError && err.code === code, JSON.stringify(request));
    }
    const blankBalance = read(new VirtualMifareCard({ uid: '11223344' }), BALANCE);
    assert.throws(() => planIssue(BALANCE, blankBalance, { memberId: 1, points: 5 }), /no-such-purse/);
    assert.equal(planIssue(BALANCE, blankBalance, { memberId: 1, points: 0 }).after.points, undefined);
  });
});
