import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import { parseLoyaltyConfig, pointsFor } from '../../../nodes/jpay-loyalty/loyalty-config';
import { parseLoyaltyInput } from '../../../nodes/jpay-loyalty/loyalty-input';

const BASE = { programId: '42', purses: 'both', cardKind: '1k', sector: '1', pointsPer: '1', pointsUnit: '100', redeemPoints: '50', redeemValue: '15000', storedValue: true, autoRedeem: false };

function refusedField(fn: () => unknown, field: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof JpayValidationError && field.test(err.field), String(field));
}

describe('flow/loyalty-config parseLoyaltyConfig', () => {
  it('turns the edit dialog into a layout and integer rules', () => {
    const { layout, rules, pendingTimeoutMs } = parseLoyaltyConfig(BASE);
    assert.equal(layout.programId, 42);
    assert.deepEqual(layout.purses, ['points', 'balance']);
    assert.equal(layout.headerBlock, 4);
    assert.deepEqual(layout.slots, [[5, 6], [8, 9]]);
    assert.deepEqual(rules, { pointsPer: 1, pointsUnit: 100, redeemPoints: 50, redeemValue: 15000, storedValue: true, autoRedeem: false });
    assert.equal(pendingTimeoutMs, 120_000);
  });

  it('fills defaults for empty fields and switches off what the purses cannot do', () => {
    const { layout, rules } = parseLoyaltyConfig({ programId: 7 });
    assert.deepEqual(layout.purses, ['points', 'balance']);
    assert.equal(layout.maxBalance, 2147483647);
    assert.deepEqual(rules, { pointsPer: 1, pointsUnit: 100, redeemPoints: 0, redeemValue: 0, storedValue: true, autoRedeem: false });
    const points = parseLoyaltyConfig({ ...BASE, purses: 'points', autoRedeem: 'true' });
    assert.equal(points.rules.storedValue, false);
    assert.equal(points.rules.autoRedeem, true);
    const balance = parseLoyaltyConfig({ ...BASE, purses: 'balance', autoRedeem: true, storedValue: 'false' });
    assert.deepEqual([balance.rules.pointsPer, balance.rules.redeemPoints, balance.rules.autoRedeem, balance.rules.storedValue], [0, 0, false, false]);
    assert.equal(parseLoyaltyConfig({ ...BASE, maxBalance: '1500000', pendingTimeout: '30' }).layout.maxBalance, 1_500_000);
  });

  it('refuses each bad field by name', () => {
    refusedField(() => parseLoyaltyConfig({ ...BASE, programId: '' }), /^programId$/);
    refusedField(() => parseLoyaltyConfig({ ...BASE, programId: '4294967296' }), /^programId$/);
    refusedField(() => parseLoyaltyConfig({ ...BASE, programId: '4.5' }), /^programId$/);
    refusedField(() => parseLoyaltyConfig({ ...BASE, purses: 'cash' }), /^purses$/);
    refusedField(() => parseLoyaltyConfig({ ...BASE, cardKind: '2k' }), /^cardKind$/);
    refusedField(() => parseLoyaltyConfig({ ...BASE, sector: '0' }), /^sector$/);
    refusedField(() => parseLoyaltyConfig({ ...BASE, sector: '15' }), /^sector$/); // both purses need sector 16 too
    refusedField(() => parseLoyaltyConfig({ ...BASE, pointsUnit: '0' }), /^pointsUnit$/);
    refusedField(() => parseLoyaltyConfig({ ...BASE, pointsPer: '-1' }), /^pointsPer$/);
    refusedField(() => parseLoyaltyConfig({ ...BASE, redeemValue: '1e3' }), /^redeemValue$/);
    refusedField(() => parseLoyaltyConfig({ ...BASE, pendingTimeout: '0' }), /^pendingTimeout$/);
    assert.equal(parseLoyaltyConfig({ ...BASE, cardKind: '4k', sector: '39' }).layout.sectors[0], 39);
  });

  it('pointsFor: whole units only, exact for large amounts', () => {
    const rule = { pointsPer: 1, pointsUnit: 100 };
    assert.equal(pointsFor(12050, rule), 120);
    assert.equal(pointsFor(99, rule), 0);
    assert.equal(pointsFor(0, rule), 0);
    assert.equal(pointsFor(999_999_999_999, { pointsPer: 3, pointsUnit: 7 }), 428_571_428_571);
    assert.equal(pointsFor(5000, { pointsPer: 0, pointsUnit: 100 }), 0);
  });
});

describe('flow/loyalty-input parseLoyaltyInput', () => {
  const program = parseLoyaltyConfig(BASE);
  const pointsOnly = parseLoyaltyConfig({ ...BASE, purses: 'points', redeemPoints: '0' });

  it('accepts every operation with integer amounts, and a bare name', () => {
    assert.deepEqual(parseLoyaltyInput({ operation: 'earn', amount: 500 }, program), { operation: 'earn', amount: 500 });
    assert.deepEqual(parseLoyaltyInput({ operation: 'earn', points: 3 }, program), { operation: 'earn', points: 3 });
    assert.deepEqual(parseLoyaltyInput({ operation: 'redeem' }, program), { operation: 'redeem' });
    assert.deepEqual(parseLoyaltyInput({ operation: 'redeem', points: 5, complete: false }, program), { operation: 'redeem', points: 5, complete: false });
    assert.deepEqual(parseLoyaltyInput({ operation: 'pay' }, program), { operation: 'pay' });
    assert.deepEqual(parseLoyaltyInput({ operation: 'topup', amount: 20000, extra: 'ignored' }, program), { operation: 'topup', amount: 20000 });
    assert.deepEqual(parseLoyaltyInput('inquiry', program), { operation: 'inquiry' });
    assert.deepEqual(parseLoyaltyInput(' cancel ', program), { operation: 'cancel' });
    assert.deepEqual(parseLoyaltyInput({ operation: 'issue', confirm: true, memberId: 0, balance: 100 }, program), { operation: 'issue', memberId: 0, balance: 100 });
  });

  it('issuance needs an explicit confirm: true and a member id', () => {
    refusedField(() => parseLoyaltyInput({ operation: 'issue', memberId: 5 }, program), /^msg\.payload\.confirm$/);
    refusedField(() => parseLoyaltyInput({ operation: 'issue', memberId: 5, confirm: 'yes' }, program), /^msg\.payload\.confirm$/);
    refusedField(() => parseLoyaltyInput({ operation: 'issue', confirm: true }, program), /^msg\.payload\.memberId$/);
    refusedField(() => parseLoyaltyInput({ operation: 'issue', confirm: true, memberId: 2 ** 32 }, program), /^msg\.payload\.memberId$/);
    refusedField(() => parseLoyaltyInput({ operation: 'issue', confirm: true, memberId: 1, balance: 5 }, pointsOnly), /^msg\.payload\.operation$/);
  });

  it('refuses floats, negatives, unknown operations and operations the program cannot do', () => {
    refusedField(() => parseLoyaltyInput({ operation: 'pay', amount: 1.5 }, program), /^msg\.payload\.amount$/);
    refusedField(() => parseLoyaltyInput({ operation: 'topup', amount: -100 }, program), /^msg\.payload\.amount$/);
    refusedField(() => parseLoyaltyInput({ operation: 'topup', amount: '100' }, program), /^msg\.payload\.amount$/);
    refusedField(() => parseLoyaltyInput({ operation: 'earn', amount: 100, points: 1 }, program), /^msg\.payload$/);
    refusedField(() => parseLoyaltyInput({ operation: 'steal' }, program), /^msg\.payload\.operation$/);
    refusedField(() => parseLoyaltyInput(null, program), /^msg\.payload$/);
    refusedField(() => parseLoyaltyInput({ operation: 'pay' }, pointsOnly), /^msg\.payload\.operation$/);
    refusedField(() => parseLoyaltyInput({ operation: 'redeem' }, pointsOnly), /^msg\.payload\.points$/);
    refusedField(() => parseLoyaltyInput({ operation: 'redeem', complete: false }, program), /^msg\.payload\.points$/);
    refusedField(() => parseLoyaltyInput({ operation: 'pay' }, parseLoyaltyConfig({ ...BASE, storedValue: false })), /^msg\.payload\.operation$/);
  });
});
