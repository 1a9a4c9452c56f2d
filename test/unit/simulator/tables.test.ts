import assert from 'node:assert/strict';
import { JPAY_STATUS_CODES } from '../../../lib/protocol/status';
import { TEST_CARDS, cardForManualPan, expiryToAed, isExpired, isLuhnValid, receiptPan } from '../../../lib/simulator/cards';
import { MAGIC_AMOUNTS, MAGIC_BASE, magicOutcome } from '../../../lib/simulator/magic';
import { DECLINE_REASONS, FAULT_KINDS } from '../../../lib/simulator/outcome';

describe('simulator test cards and magic amounts', () => {
  it('every test card has a Luhn-valid PAN, a unique id and a RID that prefixes its AID', () => {
    const ids = new Set<string>();
    for (const card of TEST_CARDS) {
      assert.ok(isLuhnValid(card.pan), card.id);
      assert.ok(!ids.has(card.id), card.id);
      ids.add(card.id);
      assert.ok(card.aid.startsWith(card.rid), card.id);
    }
  });

  it('every Appendix A status has a magic amount: 777.NN = the NNth status', () => {
    JPAY_STATUS_CODES.forEach((status, index) => {
      const outcome = magicOutcome(MAGIC_BASE + index);
      assert.ok(outcome, status);
      if (status === 'ok') assert.equal(outcome.status, undefined);
      else assert.equal(outcome.status, status);
    });
  });

  it('every decline reason and every fault kind has a magic amount', () => {
    for (const reason of DECLINE_REASONS) assert.ok(MAGIC_AMOUNTS.some((m) => m.outcome.declineReason === reason), reason);
    for (const kind of FAULT_KINDS) assert.ok(MAGIC_AMOUNTS.some((m) => m.outcome.fault === kind), kind);
  });

  it('ordinary amounts are not magic, and amounts are unique', () => {
    assert.equal(magicOutcome(12300), undefined);
    assert.equal(magicOutcome(MAGIC_BASE + 99), undefined);
    assert.equal(magicOutcome(undefined), undefined);
    assert.equal(new Set(MAGIC_AMOUNTS.map((m) => m.amount)).size, MAGIC_AMOUNTS.length);
  });

  it('masks, dates and guesses schemes', () => {
    assert.equal(receiptPan('4111111111111111'), '************1111');
    assert.equal(expiryToAed('2402'), '240229');
    assert.equal(isExpired('2001', new Date(2024, 0, 1)), true);
    assert.equal(isExpired('2401', new Date(2024, 0, 31)), false);
    assert.equal(cardForManualPan('2200000000005003', '3012', TEST_CARDS).scheme, 'MIR');
    assert.equal(cardForManualPan('4000000000004012', '3012', TEST_CARDS).scheme, 'VISA');
    assert.equal(cardForManualPan('4000000000000002', '3012', TEST_CARDS).outcome?.declineReason, 'onlinedeclined');
    assert.equal(isLuhnValid('4111111111111112'), false);
  });
});
