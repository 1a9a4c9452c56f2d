/**
 * jpay-loyalty through the real Node-RED runtime (built nodes, `npm run build` first),
 * against the simulator's virtual MIFARE cards over TCP: a jpay-transaction node runs the
 * purchase, the loyalty node runs the card session, and the card image is checked.
 */
import assert from 'node:assert/strict';
import type { Node, NodeMessage } from 'node-red';
import type { LoyaltyPayload } from '../../nodes/jpay-loyalty/loyalty-output';
import type { TransactionPayload } from '../../lib/results/transaction';
import {
  LoyaltyKeyring,
  type LoyaltyLayout,
  type LoyaltyState,
  decodeCard,
  defineLayout,
  planRead,
  runLoyaltyIssue,
} from '../../lib/mifare/loyalty';
import { type TearMode, VirtualMifareCard } from '../../lib/mifare/virtual-card';
import type { SimulatorHandle } from '../../lib/simulator';
import { TEST_LOYALTY_KEY, exampleFile, loadExample } from '../helpers/node-red-flows';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { builtNode, helper, inbox, nextCall, onTab, statuses, TERMINAL_ID, terminalConfig, warnings, type FlowNode, type Inbox } from './fixtures';

const nodes = [builtNode('jpay-terminal'), builtNode('jpay-transaction'), builtNode('jpay-loyalty')];
const PROGRAM = 42;
const LAYOUT = defineLayout({ programId: PROGRAM, purses: ['points', 'balance'] });
const MODES: readonly TearMode[] = ['before', 'after', 'partial'];

const LOYALTY_CONFIG = {
  programId: String(PROGRAM),
  purses: 'both',
  cardKind: '1k',
  sector: '1',
  pointsPer: '1',
  pointsUnit: '100',
  redeemPoints: '50',
  redeemValue: '20000',
  storedValue: true,
  autoRedeem: false,
  maxBalance: '',
  pendingTimeout: '60',
};

async function issuedCard(memberId: number, points: number, balance: number, layout: LoyaltyLayout = LAYOUT): Promise<VirtualMifareCard> {
  const card = new VirtualMifareCard({ uid: 'C0FFEE42' });
  const outcome = await runLoyaltyIssue(card, layout, { memberId, points, balance });
  assert.equal(outcome.status, 'committed');
  return card;
}

function stateOf(card: VirtualMifareCard, layout: LoyaltyLayout = LAYOUT): LoyaltyState {
  const blocks = new Map<number, Buffer>();
  const image = card.toImage();
  for (const b of planRead(layout)) blocks.set(b, image.subarray(b * 16, b * 16 + 16));
  const decoded = decodeCard(layout, blocks);
  if (decoded.kind !== 'ok') throw new Error(`card is ${decoded.kind}: ${decoded.detail}`);
  return decoded.state;
}

function loyalty(msg: NodeMessage): LoyaltyPayload {
  return msg.payload as LoyaltyPayload;
}

function tx(msg: NodeMessage): TransactionPayload {
  return msg.payload as TransactionPayload;
}

describe('nodes/jpay-loyalty (built, real runtime, simulator over TCP)', function () {
  this.timeout(60000);
  let sim: SimulatorHandle;

  afterEach(async () => {
    await helper.unload();
    await sim?.close();
  });

  interface Loaded {
    node: Node;
    out: Inbox;
    paid: Inbox;
    caught: Inbox;
    /** Runs one purchase through the jpay-transaction node; resolves with its result. */
    purchase(amount: number): Promise<TransactionPayload>;
    arm(payload: unknown, extra?: Record<string, unknown>): void;
  }

  async function load(config: Record<string, unknown> = {}, card?: VirtualMifareCard): Promise<Loaded> {
    sim = await startTestSimulator({ mifare: { enabled: true } });
    if (card) await sim.insertMifareCard(card);
    const flow: FlowNode[] = [
      terminalConfig(sim),
      { id: 'loyalty', type: 'jpay-loyalty', terminal: TERMINAL_ID, ...LOYALTY_CONFIG, ...config, wires: [['out']] },
      { id: 'tx', type: 'jpay-transaction', terminal: TERMINAL_ID, txType: 'purchase', wires: [['paid'], []] },
      { id: 'catch', type: 'catch', scope: ['loyalty'], uncaught: false, wires: [['caught']] },
      { id: 'out', type: 'helper' },
      { id: 'paid', type: 'helper' },
      { id: 'caught', type: 'helper' },
    ];
    await helper.load(nodes, onTab(flow));
    const node = helper.getNode('loyalty');
    const paid = inbox(helper.getNode('paid'));
    return {
      node,
      out: inbox(helper.getNode('out')),
      paid,
      caught: inbox(helper.getNode('caught')),
      async purchase(amount: number) {
        helper.getNode('tx').receive({ payload: { amount } });
        return tx(await paid.next(10000));
      },
      arm(payload: unknown, extra: Record<string, unknown> = {}) {
        node.receive({ payload, ...extra });
      },
    };
  }

  it('pays from the stored-value balance, earns points, and the receipt carries the loyalty result', async () => {
    const card = await issuedCard(1001, 7, 50000);
    const { out, purchase, node } = await load({}, card);
    const result = await purchase(12000);
    const p = loyalty(await out.next());
    assert.deepEqual(
      { status: p.status, operation: p.operation, source: p.source, memberId: p.memberId, committed: p.committed, uncertain: p.uncertain, paid: p.paid },
      { status: 'committed', operation: 'pay', source: 'auto', memberId: 1001, committed: true, uncertain: false, paid: true },
    );
    assert.deepEqual(p.before, { points: 7, balance: 50000, counter: 0 });
    assert.deepEqual(p.after, { points: 127, balance: 38000, counter: 1 });
    assert.deepEqual([p.earned, p.redeemed, p.debited, p.credited], [120, 0, 12000, 0]);
    assert.equal(p.verified, true);
    assert.equal(p.transaction?.amount, 12000);
    assert.equal(p.transaction?.type, 'purchase');

    assert.equal(result.approved, true);
    assert.equal(result.receipt?.iface, 'mifare');
    assert.equal(result.receipt?.amountAuthorized, 12000);
    assert.deepEqual(result.receipt?.extra?.loyalty, {
      program: '42',
      operation: 'pay',
      member: '1001',
      counter: '1',
      'points-before': '7',
      'points-after': '127',
      'points-earned': '120',
      'points-redeemed': '0',
      'balance-before': '50000',
      'balance-after': '38000',
      debited: '12000',
      credited: '0',
    });
    const s = stateOf(card);
    assert.deepEqual([s.points, s.balance], [127, 38000]);
    assert.deepEqual(statuses(node).at(-1), { fill: 'green', shape: 'dot', text: '#1001: 127 ★ · 380.00' });
  });

  it('when the balance does not suffice, the card earns points and the bank card pays', async () => {
    const card = await issuedCard(5, 10, 1000);
    const { out, purchase } = await load({}, card);
    const result = await purchase(25050);
    const p = loyalty(await out.next());
    assert.equal(p.status, 'committed');
    assert.equal(p.operation, 'earn');
    assert.equal(p.paid, false);
    assert.equal(p.earned, 250, '1 point per full 100 kopecks');
    assert.equal(result.approved, true);
    assert.notEqual(result.receipt?.iface, 'mifare', 'the bank card paid');
    assert.equal(result.receipt?.amountAuthorized, 25050);
    assert.deepEqual([stateOf(card).points, stateOf(card).balance], [260, 1000]);
  });

  it('applies the operation armed on the input (top-up, redeem), keeps the input msg, and uses it once', async () => {
    const card = await issuedCard(77, 60, 0);
    const { out, purchase, arm, node } = await load({}, card);
    arm({ operation: 'topup', amount: 30000 }, { topic: 'cash', orderId: 'A-1' });
    await nextCall(node, 'status', (args) => String((args[0] as { text?: string }).text).startsWith('jpay-loyalty.status.armed'));
    const topped = await purchase(30000);
    const t = await out.next();
    assert.equal(t.orderId, 'A-1', 'the output msg is derived from the arming msg');
    assert.equal(t.topic, 'loyalty/committed');
    assert.deepEqual([loyalty(t).operation, loyalty(t).source, loyalty(t).credited, loyalty(t).paid], ['topup', 'input', 30000, true]);
    assert.equal(topped.receipt?.iface, 'mifare');

    arm({ operation: 'redeem' });
    const free = await purchase(15000);
    const r = loyalty(await out.next());
    assert.deepEqual([r.operation, r.redeemed, r.debited, r.paid], ['redeem', 50, 0, true]);
    assert.equal(free.receipt?.iface, 'mifare');
    assert.equal(free.receipt?.amountAuthorized, undefined, 'points paid, no money');

    // Nothing armed any more: the automatic rule pays from the topped-up balance.
    await purchase(1000);
    const auto = loyalty(await out.next());
    assert.deepEqual([auto.operation, auto.source], ['pay', 'auto']);
    assert.deepEqual([stateOf(card).points, stateOf(card).balance], [10 + 10, 29000]);
  });

  it('refuses a redemption the rule does not cover without writing, and the bank card pays', async () => {
    const card = await issuedCard(8, 500, 0);
    const { out, purchase, arm } = await load({}, card);
    const before = card.toImage();
    arm({ operation: 'redeem' });
    const result = await purchase(25000);
    const p = loyalty(await out.next());
    assert.equal(p.status, 'refused');
    assert.equal(p.error?.code, 'price-above-redeem-value');
    assert.equal(p.committed, false);
    assert.notEqual(result.receipt?.iface, 'mifare');
    assert.deepEqual(card.toImage(), before);
  });

  for (const kind of ['blank', 'foreign', 'foreign-program', 'corrupted'] as const) {
    it(`a ${kind} card gets a clear error for Catch and is not written; the bank card pays`, async () => {
      let card: VirtualMifareCard;
      if (kind === 'blank') card = new VirtualMifareCard({ uid: '01020304' });
      else if (kind === 'foreign-program') card = await issuedCard(1, 5, 5000, defineLayout({ programId: 7, purses: ['points', 'balance'] }));
      else {
        card = await issuedCard(9, 100, 100000);
        const image = card.toImage();
        if (kind === 'foreign') Buffer.from('TRANSIT CARD 2024').copy(image, 4 * 16);
        // Both copies damaged: no record can be trusted.
        else for (const block of [5, 8]) image[block * 16 + 3] ^= 0x40;
        card = VirtualMifareCard.fromImage(image);
      }
      const before = card.toImage();
      const { out, caught, purchase, node, arm } = await load({}, card);
      arm({ operation: 'pay', amount: 500 });
      const result = await purchase(500);
      const error = await caught.next();
      const p = loyalty(error);
      const code = { blank: 'blank-card', foreign: 'foreign-card', 'foreign-program': 'foreign-program', corrupted: 'corrupted-card' }[kind];
      assert.equal(p.status, 'rejected-card');
      assert.equal(p.error?.code, code);
      assert.equal((error.error as { code: string }).code, 'JPAY_VALIDATION');
      assert.match((error.error as { message: string }).message, new RegExp(`jpay-loyalty\\.errors\\.${code}`));
      assert.equal(error.topic, 'loyalty/rejected-card');
      assert.equal(out.msgs.length, 0, 'not reported as an outcome');
      assert.equal(result.approved, true);
      assert.notEqual(result.receipt?.iface, 'mifare');
      assert.deepEqual(card.toImage(), before, 'the card image is unchanged');
      assert.equal(statuses(node).at(-1)?.fill, 'red');
    });
  }

  it('issues a blank card only when confirmed, and never formats a card that holds data', async () => {
    const card = new VirtualMifareCard({ uid: '0A0B0C0D' });
    const { out, caught, purchase, arm, node } = await load({}, card);
    const blank = card.toImage();

    arm({ operation: 'issue', memberId: 2024, balance: 10000 });
    const refused = await caught.next();
    assert.match((refused.error as { message: string }).message, /msg\.payload\.confirm/);
    assert.deepEqual(card.toImage(), blank);

    arm({ operation: 'issue', memberId: 2024, balance: 10000, points: 3, confirm: true });
    const result = await purchase(10000);
    const p = loyalty(await out.next());
    assert.deepEqual([p.status, p.operation, p.memberId, p.paid], ['committed', 'issue', 2024, true]);
    assert.deepEqual(p.after, { points: 3, balance: 10000, counter: 0 });
    assert.equal(result.receipt?.iface, 'mifare');
    assert.deepEqual(result.receipt?.extra?.loyalty && (result.receipt.extra.loyalty as Record<string, string>).operation, 'issue');
    const issued = card.toImage();

    arm({ operation: 'issue', memberId: 9999, confirm: true });
    await purchase(100);
    const again = loyalty(await caught.next());
    assert.equal(again.status, 'rejected-card');
    assert.equal(again.error?.code, 'card-not-blank');
    assert.deepEqual(card.toImage(), issued, 'an issued card is never formatted again');
    assert.deepEqual(warnings(node), []);
  });

  it('tearing at every write step, in every mode: the card ends at the issued values plus exactly the committed operations', async () => {
    const card = await issuedCard(31337, 1000, 1_000_000);
    const { out, purchase, arm } = await load({}, card);
    const expected = { points: 1000, balance: 1_000_000 };
    const apply = (p: LoyaltyPayload): void => {
      if (!p.committed) return;
      expected.points += p.earned - p.redeemed;
      expected.balance += p.credited - p.debited;
    };
    const seen = { committed: 0, notCommitted: 0, uncertain: 0, settledCommitted: 0, settledNot: 0 };
    const arms: (() => void)[] = [
      () => undefined, // the automatic rule: pay 10.00 from the balance, earn 10 points
      () => arm({ operation: 'earn', points: 7 }),
      () => arm({ operation: 'topup', amount: 2500 }),
      () => arm({ operation: 'redeem', points: 30 }),
    ];
    let round = 0;
    for (let step = 0; step < 4; step++) {
      for (const mode of MODES) {
        arms[round++ % arms.length]();
        card.tearAfterWrites(step, mode);
        const torn = await purchase(1000);
        const p = loyalty(await out.next());
        // Two purses: write 0 and 1 are the new copy (1 commits), 2 and 3 the backup.
        const want = step < 1 ? 'not-committed' : step === 1 ? 'uncertain' : 'committed';
        assert.equal(p.status, want, `tear at write ${step} (${mode})`);
        assert.equal(card.inField, false, 'the card left the field');
        assert.equal(torn.receipt?.iface === 'mifare', p.paid, 'the card paid exactly when it says so');
        if (p.status === 'uncertain') {
          assert.equal(p.after, undefined);
          assert.ok(p.intended);
          seen.uncertain++;
        } else if (p.committed) seen.committed++;
        else seen.notCommitted++;
        apply(p);

        // The card comes back: the next tap settles any uncertainty, repairs, and pays.
        card.returnToField();
        await purchase(1000);
        let next = loyalty(await out.next());
        if (p.status === 'uncertain') {
          assert.equal(next.status, 'settled');
          assert.notEqual(next.settled, 'unknown');
          assert.equal(next.memberId, 31337);
          if (next.settled === 'committed') seen.settledCommitted++;
          else seen.settledNot++;
          apply(next);
          next = loyalty(await out.next());
        }
        assert.equal(next.status, 'committed');
        assert.equal(next.operation, 'pay');
        apply(next);
        const state = stateOf(card);
        assert.deepEqual({ points: state.points, balance: state.balance }, expected, `after tear at write ${step} (${mode})`);
      }
    }
    assert.equal(seen.uncertain, 3);
    assert.ok(seen.settledCommitted >= 1 && seen.settledNot >= 1, JSON.stringify(seen));
    const final = stateOf(card);
    assert.deepEqual({ points: final.points, balance: final.balance }, expected);
    assert.equal(out.msgs.length, 12 * 2 + 3, 'one outcome per card session plus one settlement per uncertain one');
  });

  it('reports an uncertain outcome distinctly (yellow), and the next open settles it before anything else', async () => {
    const card = await issuedCard(4, 0, 9000);
    const { out, purchase, node } = await load({}, card);
    card.tearAfterWrites(1, 'after');
    await purchase(3000);
    const u = await out.next();
    assert.equal(u.topic, 'loyalty/uncertain');
    assert.deepEqual([loyalty(u).uncertain, loyalty(u).committed], [true, false]);
    assert.deepEqual(loyalty(u).intended, { points: 30, balance: 6000, counter: 1 });
    assert.deepEqual(statuses(node).at(-1), { fill: 'yellow', shape: 'ring', text: 'jpay-loyalty.status.uncertain' });

    card.returnToField();
    await purchase(3000);
    const settled = loyalty(await out.next());
    assert.deepEqual([settled.status, settled.settled, settled.committed, settled.debited, settled.earned], ['settled', 'committed', true, 3000, 30]);
    assert.deepEqual(settled.after, { points: 30, balance: 6000, counter: 1 });
    const next = loyalty(await out.next());
    assert.equal(next.repaired, true, 'the torn backup copy was restored by this operation');
    assert.deepEqual(next.after, { points: 60, balance: 3000, counter: 2 });
  });

  it("a terminal that ends the transaction at a close without a receipt ('end'): cancelled, nothing charged, the earned points taken back at the next tap", async () => {
    const card = await issuedCard(5, 10, 1000);
    const { out, purchase, node } = await load({}, card);
    sim.setMifareCloseWithoutReceipt('end');
    const result = await purchase(25050);
    assert.deepEqual([result.status, result.approved, result.receipt], ['cancelled', false, undefined]);
    assert.deepEqual(sim.log(), [], 'nothing was charged');
    const earned = await out.next();
    assert.deepEqual([earned.topic, loyalty(earned).operation, loyalty(earned).earned, loyalty(earned).paid], ['loyalty/committed', 'earn', 250, false]);
    const unpaid = await out.next();
    assert.equal(unpaid.topic, 'loyalty/unpaid');
    assert.deepEqual([loyalty(unpaid).memberId, loyalty(unpaid).owed], [5, { points: -250, balance: 0 }]);
    assert.deepEqual(statuses(node).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-loyalty.status.unpaid' });
    assert.equal(stateOf(card).points, 260, 'the card is written only in the field');

    // Another terminal (or this one set otherwise) goes on to a bank card after a plain close.
    sim.setMifareCloseWithoutReceipt('continue');
    const paid = await purchase(25050);
    assert.equal(paid.approved, true);
    assert.notEqual(paid.receipt?.iface, 'mifare', 'the bank card paid');
    const compensated = loyalty(await out.next());
    assert.deepEqual([compensated.status, compensated.compensation, compensated.redeemed, compensated.before?.points, compensated.after?.points], ['compensated', true, 250, 260, 10]);
    const again = loyalty(await out.next());
    assert.deepEqual([again.status, again.operation, again.earned, again.after?.points], ['committed', 'earn', 250, 260]);
    assert.equal(out.msgs.length, 4, 'a paid transaction owes nothing');
    assert.equal(stateOf(card).points, 260);
    assert.deepEqual(sim.log().map((r) => r.amount), [25050]);
  });

  it("'end': a payment the card completes closes with its receipt and stands", async () => {
    const card = await issuedCard(6, 0, 50000);
    const { out, purchase } = await load({}, card);
    sim.setMifareCloseWithoutReceipt('end');
    const result = await purchase(12000);
    assert.deepEqual([result.approved, result.receipt?.iface], [true, 'mifare']);
    assert.deepEqual([loyalty(await out.next()).operation, stateOf(card).balance], ['pay', 38000]);
    await purchase(500); // the card pays again: nothing was owed from the first
    assert.deepEqual(out.msgs.map((m) => m.topic), ['loyalty/committed', 'loyalty/committed']);
  });

  it("'continue': a bank payment declined after the tap earned points is taken back the same way", async () => {
    const card = await issuedCard(7, 0, 0);
    const { out, purchase } = await load({}, card);
    sim.queueOutcome({ declineReason: 'onlinedeclined' });
    const declined = await purchase(5000);
    assert.deepEqual([declined.status, declined.approved], ['ok', false]);
    const earned = loyalty(await out.next());
    const unpaid = loyalty(await out.next());
    assert.deepEqual([earned.status, earned.earned, unpaid.status, unpaid.owed], ['committed', 50, 'unpaid', { points: -50, balance: 0 }]);
    assert.equal(stateOf(card).points, 50);
    await purchase(1000);
    assert.deepEqual([loyalty(await out.next()).status, loyalty(await out.next()).earned], ['compensated', 10]);
    assert.equal(stateOf(card).points, 10);
  });

  it('validates its configuration and its input', async () => {
    sim = await startTestSimulator({ mifare: { enabled: true } });
    await helper.load(
      nodes,
      onTab([
        terminalConfig(sim),
        { id: 'bad', type: 'jpay-loyalty', terminal: TERMINAL_ID, ...LOYALTY_CONFIG, programId: '0', wires: [[]] },
        { id: 'loyalty', type: 'jpay-loyalty', terminal: TERMINAL_ID, ...LOYALTY_CONFIG, purses: 'points', wires: [[]] },
        { id: 'catch', type: 'catch', scope: ['bad', 'loyalty'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const caught = inbox(helper.getNode('caught'));
    assert.deepEqual(statuses(helper.getNode('bad')).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-loyalty.status.badConfig' });
    helper.getNode('bad').receive({ payload: 'inquiry' });
    assert.match(String(((await caught.next()).error as { message: string }).message), /programId/);

    const node = helper.getNode('loyalty');
    for (const [payload, field] of [
      [{ operation: 'pay', amount: 100 }, /operation: pay needs a balance purse/],
      [{ operation: 'earn', amount: 12.5 }, /msg\.payload\.amount/],
      [{ operation: 'fly' }, /msg\.payload\.operation/],
      [42, /msg\.payload/],
    ] as const) {
      node.receive({ payload });
      assert.match(String(((await caught.next()).error as { message: string }).message), field);
    }
    node.receive({ payload: 'cancel' });
    await nextCall(node, 'warn', (args) => args[0] === 'jpay-loyalty.warn.nothing-armed');
  });

  it('runs the coffee-machine example (layout v2): issue, pay from the balance, earn on a bank payment, a free coffee for points, top up; a restored copy is refused', async () => {
    sim = await startTestSimulator({ controlPort: 0, mifare: { enabled: true } });
    const flow = await loadExample(exampleFile('09 - '), { sim, controlUrl: sim.controlUrl }, '12345678');
    const loyaltyOut = flow.inbox('Loyalty result');
    const payments = flow.inbox('Payment result: iface "mifare" = paid by the card');
    const errors = flow.inbox('Errors');

    flow.inject('1. Lay a blank MIFARE card on the reader (simulator)');
    await flow.inbox('Simulator').next();
    const card = sim.mifareCard();
    assert.ok(card);

    flow.inject('2. Issue card 1001 with 300.00 ₽ (staff confirms)');
    const issued = loyalty(await loyaltyOut.next());
    assert.deepEqual([issued.status, issued.operation, issued.memberId], ['committed', 'issue', 1001]);
    assert.equal(tx(await payments.next()).receipt?.iface, 'mifare');

    const buy = async (): Promise<[LoyaltyPayload, TransactionPayload]> => {
      flow.inject('4. Buy a cappuccino (150.00 ₽)');
      return [loyalty(await loyaltyOut.next()), tx(await payments.next())];
    };
    for (const left of [15000, 0]) {
      const [p, r] = await buy();
      assert.deepEqual([p.operation, p.debited, p.earned, p.after?.balance], ['pay', 15000, 150, left]);
      assert.equal(r.receipt?.iface, 'mifare');
    }
    const [earn, bank] = await buy();
    assert.deepEqual([earn.operation, earn.earned, earn.after?.points], ['earn', 150, 450]);
    assert.equal(bank.approved, true);
    assert.notEqual(bank.receipt?.iface, 'mifare');

    flow.inject('5. A coffee for 50 points (120.00 ₽)');
    const free = loyalty(await loyaltyOut.next());
    assert.deepEqual([free.operation, free.redeemed, free.after?.points, free.paid], ['redeem', 50, 400, true]);
    assert.equal(tx(await payments.next()).receipt?.iface, 'mifare');

    flow.inject('6. A card writer copies the card (simulator)');
    await flow.inbox('Simulator').next();

    flow.inject('3. Top up 200.00 ₽ (cash inserted)');
    const topup = loyalty(await loyaltyOut.next());
    assert.deepEqual([topup.operation, topup.credited, topup.after?.balance, topup.uid], ['topup', 20000, 20000, card.uid]);
    assert.equal(tx(await payments.next()).receipt?.iface, 'mifare');
    const v2 = defineLayout({ programId: PROGRAM, purses: ['points', 'balance'], keys: new LoyaltyKeyring({ id: 1, key: TEST_LOYALTY_KEY }) });
    assert.deepEqual([stateOf(card, v2).points, stateOf(card, v2).balance], [400, 20000]);

    // The copy taken before the top-up, put back: refused, and the bank card pays.
    flow.inject('7. Put the old copy back, buy a cappuccino (attack)');
    const alert = loyalty(await flow.inbox('Security alerts: tampered, rollback, conflict').next());
    assert.deepEqual([alert.status, alert.ledger?.reason, alert.before?.balance, alert.ledger?.known?.balance], ['rollback', 'older', 0, 20000]);
    const restoredPaid = tx(await payments.next());
    assert.deepEqual([restoredPaid.approved, restoredPaid.receipt?.iface === 'mifare'], [true, false]);
    assert.equal(errors.msgs.length, 0);
  });
});
