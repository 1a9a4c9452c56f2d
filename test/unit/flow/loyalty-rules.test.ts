import assert from 'node:assert/strict';
import { parseLoyaltyConfig } from '../../../nodes/jpay-loyalty/loyalty-config';
import { loyaltyReceipt, outcomePayload, settledPayload } from '../../../nodes/jpay-loyalty/loyalty-output';
import { type TransactionInfo, decideOperation } from '../../../nodes/jpay-loyalty/loyalty-rules';
import type { LoyaltyOutcome, LoyaltyState } from '../../../lib/mifare/loyalty';
import { parseReceipt } from '../../../lib/protocol';

const program = parseLoyaltyConfig({ programId: '42', pointsPer: '2', pointsUnit: '100', redeemPoints: '50', redeemValue: '15000', storedValue: true, autoRedeem: true });
const manual = parseLoyaltyConfig({ programId: '42', pointsPer: '2', pointsUnit: '100', redeemPoints: '50', redeemValue: '15000', storedValue: false, autoRedeem: false });
const balanceOnly = parseLoyaltyConfig({ programId: '42', purses: 'balance', storedValue: true });

function state(points: number | undefined, balance: number | undefined): LoyaltyState {
  const s: LoyaltyState = { programId: 42, memberId: 9, counter: 3 };
  if (points !== undefined) s.points = points;
  if (balance !== undefined) s.balance = balance;
  return s;
}
const purchase = (amount: number): TransactionInfo => ({ type: 'purchase', amount, nodeId: 'tx', msgid: 'm1' });

describe('flow/loyalty-rules decideOperation', () => {
  it('the automatic rule, first match wins: redeem, pay from the balance, earn, read only', () => {
    const pick = (p: typeof program, s: LoyaltyState, tx?: TransactionInfo): unknown => {
      const d = decideOperation(p, s, undefined, tx);
      return [d.operation, d.source, d.change, d.completes];
    };
    assert.deepEqual(pick(program, state(50, 0), purchase(12000)), ['redeem', 'auto', { redeemPoints: 50 }, true]);
    assert.deepEqual(pick(program, state(50, 20000), purchase(15001)), ['pay', 'auto', { debit: 15001, earnPoints: 300 }, true], 'above the redeem value');
    assert.deepEqual(pick(program, state(49, 20000), purchase(12000)), ['pay', 'auto', { debit: 12000, earnPoints: 240 }, true]);
    assert.deepEqual(pick(program, state(49, 11999), purchase(12000)), ['earn', 'auto', { earnPoints: 240 }, false]);
    assert.deepEqual(pick(program, state(49, 0), purchase(99)), ['earn', 'auto', {}, false], 'less than one unit earns nothing');
    assert.deepEqual(pick(manual, state(500, 90000), purchase(12000)), ['earn', 'auto', { earnPoints: 240 }, false], 'auto-redeem and stored value off');
    assert.deepEqual(pick(balanceOnly, state(undefined, 100), purchase(12000)), ['inquiry', 'auto', {}, false]);
    assert.deepEqual(pick(balanceOnly, state(undefined, 12000), purchase(12000)), ['pay', 'auto', { debit: 12000 }, true]);
    assert.deepEqual(pick(program, state(50, 90000), { type: 'refund', amount: 500 }), ['inquiry', 'auto', {}, false]);
    assert.deepEqual(pick(program, state(50, 90000)), ['inquiry', 'auto', {}, false], 'no transaction known');
  });

  it('an armed operation wins, with the transaction amount as its default', () => {
    const d = (op: Parameters<typeof decideOperation>[2], tx: TransactionInfo | undefined = purchase(12000)) => decideOperation(program, state(500, 90000), op, tx);
    assert.deepEqual(d({ operation: 'earn' }).change, { earnPoints: 240 });
    assert.deepEqual(d({ operation: 'earn', amount: 1000 }).change, { earnPoints: 20 });
    assert.deepEqual(d({ operation: 'earn', points: 3 }).change, { earnPoints: 3 });
    assert.deepEqual([d({ operation: 'pay' }).change, d({ operation: 'pay' }).completes], [{ debit: 12000, earnPoints: 240 }, true]);
    assert.deepEqual(d({ operation: 'topup', amount: 500 }).change, { credit: 500 });
    assert.deepEqual(d({ operation: 'topup' }).change, { credit: 12000 });
    assert.deepEqual([d({ operation: 'redeem', points: 7, complete: false }).change, d({ operation: 'redeem', points: 7, complete: false }).completes], [{ redeemPoints: 7 }, false]);
    assert.deepEqual(d({ operation: 'inquiry' }).change, {});
    assert.equal(d({ operation: 'earn' }).source, 'input');
  });

  it('refuses by rule: a price above the redemption value, an operation without an amount', () => {
    const expensive = decideOperation(program, state(500, 0), { operation: 'redeem' }, purchase(15001));
    assert.equal(expensive.refusal?.code, 'price-above-redeem-value');
    assert.equal(decideOperation(program, state(500, 0), { operation: 'redeem' }, purchase(15000)).refusal, undefined);
    assert.equal(decideOperation(program, state(500, 0), { operation: 'pay' }, undefined).refusal?.code, 'no-amount');
    assert.equal(decideOperation(program, state(500, 0), { operation: 'topup' }, { type: 'void' }).refusal?.code, 'no-amount');
  });
});

describe('flow/loyalty-output', () => {
  const outcome: LoyaltyOutcome = {
    status: 'committed',
    committed: true,
    uncertain: false,
    card: 'ok',
    memberId: 1001,
    before: { programId: 42, memberId: 1001, counter: 4, points: 10, balance: 20000 },
    after: { programId: 42, memberId: 1001, counter: 5, points: 130, balance: 8000 },
    intended: { programId: 42, memberId: 1001, counter: 5, points: 130, balance: 8000 },
    pointsEarned: 120,
    pointsRedeemed: 0,
    debited: 12000,
    credited: 0,
    repaired: false,
    verified: true,
    writes: 4,
  };

  it('the payload carries member, purses before/after and integer amounts', () => {
    const p = outcomePayload(outcome, { operation: 'pay', source: 'auto', programId: 42, paid: true, transaction: purchase(12000) });
    assert.deepEqual(p, {
      status: 'committed',
      operation: 'pay',
      source: 'auto',
      programId: 42,
      memberId: 1001,
      before: { points: 10, balance: 20000, counter: 4 },
      after: { points: 130, balance: 8000, counter: 5 },
      earned: 120,
      redeemed: 0,
      debited: 12000,
      credited: 0,
      committed: true,
      uncertain: false,
      paid: true,
      repaired: false,
      verified: true,
      card: 'ok',
      transaction: { type: 'purchase', amount: 12000, nodeId: 'tx', msgid: 'm1' },
    });
  });

  it('the receipt is approved, parses back with the loyalty result, and debits as amount-authorized', () => {
    const p = outcomePayload(outcome, { operation: 'pay', source: 'auto', programId: 42, paid: true });
    const receipt = parseReceipt({ ...loyaltyReceipt(p), iface: 'mifare' });
    assert.equal(receipt.approved, true);
    assert.equal(receipt.amountAuthorized, 12000);
    assert.deepEqual(receipt.extra?.loyalty, {
      program: '42',
      operation: 'pay',
      member: '1001',
      counter: '5',
      'points-before': '10',
      'points-after': '130',
      'points-earned': '120',
      'points-redeemed': '0',
      'balance-before': '20000',
      'balance-after': '8000',
      debited: '12000',
      credited: '0',
    });
  });

  it('a settlement reports the earlier intended amounts only when it committed', () => {
    const uncertain = outcomePayload(
      { ...outcome, status: 'uncertain', committed: false, uncertain: true, after: undefined, pointsEarned: 0, debited: 0 },
      { operation: 'pay', source: 'input', programId: 42, paid: false },
    );
    assert.deepEqual(uncertain.intended, { points: 130, balance: 8000, counter: 5 });
    const amounts = { earned: 120, redeemed: 0, debited: 12000, credited: 0 };
    const yes = settledPayload(uncertain, amounts, 'committed', outcome.after as LoyaltyState);
    assert.deepEqual([yes.status, yes.settled, yes.committed, yes.uncertain, yes.debited, yes.earned, yes.intended], ['settled', 'committed', true, false, 12000, 120, undefined]);
    assert.deepEqual(yes.after, { points: 130, balance: 8000, counter: 5 });
    const no = settledPayload(uncertain, amounts, 'not-committed', outcome.before as LoyaltyState);
    assert.deepEqual([no.committed, no.debited, no.earned, no.after], [false, 0, 0, { points: 10, balance: 20000, counter: 4 }]);
    assert.equal(settledPayload(uncertain, amounts, 'unknown', outcome.before as LoyaltyState).uncertain, true);
  });
});
