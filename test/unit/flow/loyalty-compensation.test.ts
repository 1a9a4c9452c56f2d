/**
 * What a loyalty card owes back when the transaction it changed was not paid (declined, or
 * cancelled by a terminal that ends the transaction at a `close` without a receipt), taken
 * back at its next tap: the controller against VirtualMifareCards, the transaction's end
 * given by the test.
 */
import assert from 'node:assert/strict';
import type { TransactionEnd } from '../../../lib/client/jpay-client';
import { compensationOperation, reversalOf } from '../../../nodes/jpay-loyalty/loyalty-compensation';
import { parseLoyaltyConfig } from '../../../nodes/jpay-loyalty/loyalty-config';
import { type CardContext, LoyaltyController } from '../../../nodes/jpay-loyalty/loyalty-controller';
import type { LoyaltyPayload } from '../../../nodes/jpay-loyalty/loyalty-output';
import { runLoyaltyCardSession } from '../../../lib/mifare/loyalty';
import type { TearMode, VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import { LAYOUT, issuedCard, runTerminal, stateOf } from './loyalty-fixtures';

const PROGRAM = parseLoyaltyConfig({ programId: '42', purses: 'both', pointsPer: '1', pointsUnit: '100', redeemPoints: '50', redeemValue: '20000', storedValue: true });

/** One transaction whose end the test decides. */
function transaction(amount: number): { context: CardContext; end(how: TransactionEnd): Promise<void> } {
  let resolve!: (end: TransactionEnd) => void;
  const ended = new Promise<TransactionEnd>((r) => (resolve = r));
  return {
    context: { transaction: { nodeId: 'tx', msgid: `m${amount}`, request: { type: 'purchase', amount } }, ended },
    // The controller reacts on the promise's continuation: let it run.
    end: async (how) => {
      resolve(how);
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('flow/loyalty-compensation: a change whose transaction was not paid is taken back', () => {
  let controller: LoyaltyController<string> | undefined;
  let reports: LoyaltyPayload[] = [];

  function setup(): LoyaltyController<string> {
    reports = [];
    controller = new LoyaltyController<string>({ program: PROGRAM, report: (r) => reports.push(r.payload) });
    return controller;
  }

  async function tap(card: VirtualMifareCard, context: CardContext) {
    return runTerminal((m) => controller!.handleCard(m, context), card);
  }

  const take = (): LoyaltyPayload[] => reports.splice(0);

  afterEach(async () => {
    controller?.close();
    await controller?.idle();
    controller = undefined;
  });

  it('the reversal of a change, and the operation that applies it within what the card holds', () => {
    assert.deepEqual(reversalOf({ earned: 120, redeemed: 0, debited: 12000, credited: 0 }), { points: -120, balance: 12000 });
    assert.deepEqual(reversalOf({ earned: 0, redeemed: 50, debited: 0, credited: 3000 }), { points: 50, balance: -3000 });
    const state = { programId: 42, memberId: 1, counter: 3, points: 70, balance: 500 };
    assert.deepEqual(compensationOperation(LAYOUT, state, { points: -120, balance: 12000 }), {
      operation: { redeemPoints: 70, credit: 12000 },
      shortfall: { points: -50, balance: 0 },
    });
    assert.deepEqual(compensationOperation(LAYOUT, state, { points: 0, balance: -800 }), { operation: { debit: 500 }, shortfall: { points: 0, balance: -300 } });
  });

  it('earned points of a purchase that ended unpaid: reported unpaid, taken back first at the next tap', async () => {
    const card = await issuedCard(7, 10, 0);
    setup();
    const first = transaction(25_050);
    const run = await tap(card, first.context);
    assert.deepEqual(run.close, { code: 'close' }, 'earn closes without a receipt');
    const [earned] = take();
    assert.deepEqual([earned.status, earned.operation, earned.earned], ['committed', 'earn', 250]);
    assert.equal(stateOf(card).points, 260);

    await first.end('not-approved');
    const [unpaid] = take();
    assert.deepEqual([unpaid.status, unpaid.operation, unpaid.memberId, unpaid.paid], ['unpaid', 'earn', 7, false]);
    assert.deepEqual(unpaid.owed, { points: -250, balance: 0 });
    assert.deepEqual([...controller!.owed.entries()].map(([id, e]) => [id, e.change]), [['member:7', { points: -250, balance: 0 }]]);
    assert.equal(stateOf(card).points, 260, 'the card is only written when it is in the field');

    const second = transaction(1_000);
    await tap(card, second.context);
    const [compensated, next] = take();
    assert.deepEqual([compensated.status, compensated.compensation, compensated.redeemed, compensated.before?.points, compensated.after?.points], ['compensated', true, 250, 260, 10]);
    assert.equal(compensated.shortfall, undefined);
    assert.deepEqual([next.status, next.operation, next.earned, next.before?.points], ['committed', 'earn', 10, 10]);
    assert.equal(controller!.owed.size, 0);
    await second.end('approved');
    assert.deepEqual(take(), [], 'a paid transaction owes nothing');
    assert.equal(stateOf(card).points, 20);
  });

  it('an approved or unknown end leaves the change alone', async () => {
    const card = await issuedCard(8, 0, 0);
    setup();
    for (const end of ['approved', 'unknown'] as const) {
      const t = transaction(1_000);
      await tap(card, t.context);
      await t.end(end);
    }
    assert.deepEqual(take().map((p) => p.status), ['committed', 'committed']);
    assert.equal(controller!.owed.size, 0);
    assert.equal(stateOf(card).points, 20);
  });

  it('a balance payment whose transaction was not paid gets its debit and its points back', async () => {
    const card = await issuedCard(9, 0, 50_000);
    setup();
    for (const amount of [12_000, 3_000]) {
      const t = transaction(amount);
      const run = await tap(card, t.context);
      assert.equal(run.close.code === 'close' && run.close.receipt?.status, 'approved', 'the card completes the transaction');
      await t.end('not-approved');
    }
    // The second tap first gives back what the first left, then pays (and is not paid either).
    assert.deepEqual(take().map((p) => p.status), ['committed', 'unpaid', 'compensated', 'committed', 'unpaid']);
    assert.deepEqual(controller!.owed.get('member:9')?.change, { points: -30, balance: 3_000 });
    assert.deepEqual([stateOf(card).points, stateOf(card).balance], [30, 47_000]);
    const refund = transaction(100);
    await tap(card, { ...refund.context, transaction: { nodeId: 'tx', request: { type: 'refund', amount: 100 } } });
    const [compensated, inquiry] = take();
    assert.deepEqual([compensated.status, compensated.credited, compensated.redeemed], ['compensated', 3_000, 30]);
    assert.equal(inquiry.operation, 'inquiry');
    assert.deepEqual([stateOf(card).points, stateOf(card).balance], [0, 50_000]);
  });

  it('points spent since are a shortfall, reported; what the card holds is taken', async () => {
    const card = await issuedCard(10, 0, 0);
    setup();
    const t = transaction(10_000);
    await tap(card, t.context);
    await t.end('not-approved');
    // Spent elsewhere (another node, another program run) before the card came back.
    assert.equal((await runLoyaltyCardSession(card, LAYOUT, { redeemPoints: 60 })).status, 'committed');
    await tap(card, transaction(100).context);
    const [, , compensated] = take();
    assert.deepEqual([compensated.status, compensated.redeemed], ['compensated', 40]);
    assert.deepEqual(compensated.shortfall, { points: -60, balance: 0 });
    assert.equal(controller!.owed.size, 0);
    assert.equal(stateOf(card).points, 1, 'the new tap earned its own point');
  });

  for (const mode of ['before', 'after', 'partial'] as const satisfies readonly TearMode[]) {
    it(`taking back torn at its commit write (${mode}): the next tap settles it and takes back exactly once`, async () => {
      const card = await issuedCard(11, 0, 0);
      setup();
      const t = transaction(5_000);
      await tap(card, t.context);
      await t.end('not-approved');
      take();
      card.tearAfterWrites(1, mode); // both purses: writes 0–1 are the new slot, 1 commits
      const torn = await tap(card, transaction(100).context);
      assert.deepEqual(torn.close, { code: 'close' });
      const [uncertain] = take();
      assert.deepEqual([uncertain.status, uncertain.compensation], ['uncertain', true]);
      card.returnToField();
      await tap(card, { ...transaction(100).context, transaction: { nodeId: 'tx', request: { type: 'refund', amount: 100 } } });
      const after = take();
      assert.equal(after[0].status, 'settled');
      assert.equal(after[0].settled, mode === 'after' ? 'committed' : 'not-committed');
      if (mode !== 'after') assert.equal(after[1].status, 'compensated', 'not landed: taken back now');
      assert.equal(stateOf(card).points, 0, 'the 50 points came off once');
      assert.equal(controller!.owed.size, 0);
    });
  }

  it('an earn torn at its commit whose transaction was not paid: owed back only if it landed', async () => {
    for (const mode of ['before', 'after'] as const) {
      const card = await issuedCard(12, 5, 0);
      setup();
      const t = transaction(3_000);
      card.tearAfterWrites(1, mode);
      await tap(card, t.context);
      await t.end('not-approved');
      const [uncertain, unpaid] = take();
      assert.deepEqual([uncertain.status, unpaid.status, unpaid.uncertain], ['uncertain', 'unpaid', true]);
      card.returnToField();
      await tap(card, { ...transaction(100).context, transaction: { nodeId: 'tx', request: { type: 'refund', amount: 100 } } });
      const statuses = take().map((p) => p.status);
      assert.deepEqual(statuses, mode === 'after' ? ['settled', 'compensated', 'committed'] : ['settled', 'committed']);
      assert.equal(stateOf(card).points, 5);
      controller!.close();
    }
  });

  it('the same card found again in the same transaction (a terminal that goes on detecting) is only read', async () => {
    const card = await issuedCard(13, 0, 0);
    setup();
    controller!.arm({ operation: 'earn', points: 30 }, 'armed');
    const t = transaction(2_000);
    await tap(card, t.context);
    await tap(card, t.context);
    const [first, again] = take();
    assert.deepEqual([first.operation, first.earned, again.operation, again.earned], ['earn', 30, 'inquiry', 0]);
    assert.equal(stateOf(card).points, 30);
    await t.end('not-approved');
    assert.deepEqual(controller!.owed.get('member:13')?.change, { points: -30, balance: 0 }, 'owed once');
  });
});
