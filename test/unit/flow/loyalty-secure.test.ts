/**
 * The loyalty controller with layout version 2 and its shadow ledger, against
 * VirtualMifareCards: a tampered card and a restored dump are reported (tampered,
 * rollback) with nothing written, nothing settled or taken back, and the armed operation
 * kept; what a card owes survives a restart; a take-back the machine stopped in the middle
 * of is settled at the next tap and never taken twice; v1 cards are upgraded at their tap.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TransactionEnd } from '../../../lib/client/jpay-client';
import { LedgerOwedBook } from '../../../nodes/jpay-loyalty/loyalty-compensation';
import { parseLoyaltyConfig, type LoyaltyProgram } from '../../../nodes/jpay-loyalty/loyalty-config';
import { type CardContext, LoyaltyController } from '../../../nodes/jpay-loyalty/loyalty-controller';
import type { LoyaltyPayload } from '../../../nodes/jpay-loyalty/loyalty-output';
import { ShadowLedger } from '../../../lib/mifare/ledger';
import { defineLayout, planOperation, runLoyaltyCardSession, runLoyaltyIssue } from '../../../lib/mifare/loyalty';
import { VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import { decodedOf, runTerminal, stateOf } from './loyalty-fixtures';

const CONFIG = { programId: '42', purses: 'both', pointsPer: '1', pointsUnit: '100', redeemPoints: '50', redeemValue: '20000', storedValue: true, layoutVersion: '2', upgradeV1: true };
const PROGRAM = parseLoyaltyConfig(CONFIG, { key: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' });
const LAYOUT = PROGRAM.layout;
const UID = 'C0FFEE42';

function transaction(amount: number, type = 'purchase'): { context: CardContext; end(how: TransactionEnd): Promise<void> } {
  let resolve!: (end: TransactionEnd) => void;
  const ended = new Promise<TransactionEnd>((r) => (resolve = r));
  return { context: { transaction: { nodeId: 'tx', msgid: `m${amount}`, request: { type, amount } }, ended }, end: async (how) => resolve(how) };
}

describe('flow/loyalty with layout version 2 and the shadow ledger', () => {
  let dir: string;
  let ledger: ShadowLedger;
  let controller: LoyaltyController<string> | undefined;
  let reports: LoyaltyPayload[];

  async function openLedger(): Promise<ShadowLedger> {
    return ShadowLedger.open({ file: path.join(dir, 'ledger.jsonl'), programId: 42, keys: LAYOUT.keys!, origin: 'here' });
  }

  function start(program: LoyaltyProgram = PROGRAM): LoyaltyController<string> {
    reports = [];
    controller = new LoyaltyController<string>({ program, report: (r) => reports.push(r.payload), ledger });
    return controller;
  }

  async function tap(card: VirtualMifareCard, context: CardContext = transaction(1000).context) {
    const run = await runTerminal((m) => controller!.handleCard(m, context), card);
    await controller!.idle();
    return run;
  }

  const take = (): LoyaltyPayload[] => reports.splice(0);

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-secure-'));
    ledger = await openLedger();
  });

  afterEach(async () => {
    controller?.close();
    await controller?.idle();
    controller = undefined;
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function issued(memberId = 7, points = 0, balance = 10_000): Promise<VirtualMifareCard> {
    const card = new VirtualMifareCard({ uid: UID });
    assert.equal((await runLoyaltyIssue(card, LAYOUT, { memberId, points, balance }, { ledger })).status, 'committed');
    return card;
  }

  it('a tampered card: reported tampered, nothing written, the armed operation kept', async () => {
    const card = await issued();
    const image = card.toImage();
    image[5 * 16 + 10] ^= 0x01; // a bit of slot A's MAC
    const tampered = VirtualMifareCard.fromImage(image);
    start().arm({ operation: 'topup', amount: 5000 }, 'cash');
    const { close } = await tap(tampered, transaction(5000).context);
    const [p] = take();
    assert.deepEqual([p.status, p.tamper, p.uid, p.memberId, p.committed, p.credited, p.paid], ['tampered', 'bad-mac', UID, 7, false, 0, false]);
    assert.deepEqual(close, { code: 'close' }, 'the card completes nothing');
    assert.equal(tampered.writeCount, 0);
    assert.deepEqual(tampered.toImage(), image);
    assert.equal(controller!.armed?.origin, 'cash', 'still armed for the genuine card');
  });

  it('a restored dump: rollback, nothing written or credited, no earlier uncertainty settled, nothing taken back', async () => {
    const card = await issued(7, 0, 10_000);
    const dump = card.toImage();
    start();
    const t = transaction(4000);
    await tap(card, t.context); // pays 40.00 from the balance, earns 40 points
    await t.end('not-approved'); // … and the transaction is not paid: owed back
    await controller!.idle();
    assert.deepEqual(take().map((p) => p.status), ['committed', 'unpaid']);
    const restored = VirtualMifareCard.fromImage(dump);
    controller!.arm({ operation: 'pay', amount: 10_000 }, 'again');
    const { close } = await tap(restored, transaction(10_000).context);
    const [p] = take();
    assert.deepEqual([p.status, p.ledger?.status, p.ledger?.reason, p.debited, p.paid], ['rollback', 'rollback', 'older', 0, false]);
    assert.deepEqual(p.ledger?.known, { memberId: 7, counter: 1, points: 40, balance: 6000 });
    assert.deepEqual(p.before, { counter: 0, points: 0, balance: 10_000 });
    assert.deepEqual(close, { code: 'close' });
    assert.equal(restored.writeCount, 0);
    assert.equal(controller!.armed?.origin, 'again');
    assert.equal(controller!.owed.get(`uid:${UID}`)?.change.balance, 4000, 'still owed, to the genuine card');
  });

  it('a restored dump settles nothing: an uncertain card session of the genuine card waits for the genuine card', async () => {
    const card = await issued(7, 0, 10_000);
    const dump = card.toImage();
    start();
    card.tearAfterWrites(1, 'after'); // the commit write lands, the card leaves: uncertain
    await tap(card, transaction(2000).context);
    assert.deepEqual(take().map((p) => p.status), ['uncertain']);
    card.returnToField();
    // An uncertain write is not recorded: this tap settles it, and the ledger learns the card moved on.
    await tap(card, transaction(100, 'refund').context);
    assert.deepEqual(take().map((p) => [p.status, p.settled ?? '']), [['settled', 'committed'], ['committed', '']]);
    card.tearAfterWrites(1, 'after'); // uncertain again, then the old dump is tapped
    await tap(card, transaction(2000).context);
    assert.deepEqual(take().map((p) => p.status), ['uncertain']);
    await tap(VirtualMifareCard.fromImage(dump), transaction(100, 'refund').context);
    const reports = take();
    assert.deepEqual(reports.map((p) => [p.status, p.compensation ?? false]), [['rollback', false]], 'only the rollback: no settlement against a dump');
    assert.deepEqual(controller!.uncertainCards, [`uid:${UID}`], 'still waiting for the genuine card');
  });

  it('what a card owes is in the ledger: it survives a restart and is taken back at the next tap', async () => {
    const card = await issued(7, 0, 10_000);
    start();
    const t = transaction(4000);
    await tap(card, t.context);
    await t.end('not-approved');
    await controller!.idle();
    assert.deepEqual(ledger.get(UID)?.owed, { points: -40, balance: 4000, operation: 'pay', transaction: { type: 'purchase', amount: 4000, nodeId: 'tx', msgid: 'm4000' } });
    controller!.close();
    await ledger.close();
    ledger = await openLedger();
    start();
    assert.equal(controller!.owed.get(`uid:${UID}`)?.change.balance, 4000, 'read back from the ledger');
    await tap(card, transaction(100, 'refund').context);
    const [compensated] = take();
    assert.deepEqual([compensated.status, compensated.credited, compensated.redeemed], ['compensated', 4000, 40]);
    assert.deepEqual([stateOf(card, LAYOUT).balance, stateOf(card, LAYOUT).points], [10_000, 0]);
    assert.equal(ledger.get(UID)?.owed, undefined);
  });

  for (const landed of [true, false]) {
    it(`a machine that stopped in the middle of a take-back (the write ${landed ? 'landed' : 'did not land'}) settles it at the next tap and takes back exactly once`, async () => {
      const card = await issued(7, 0, 10_000);
      start();
      const t = transaction(4000);
      await tap(card, t.context);
      await t.end('not-approved');
      await controller!.idle();
      controller!.close();
      take();
      // What the take-back does before its write, then (maybe) the write, then the stop.
      const book = new LedgerOwedBook<string>(ledger, 42);
      const before = decodedOf(card, LAYOUT);
      if (before.kind !== 'ok') throw new Error(before.detail);
      const operation = { redeemPoints: 40, credit: 4000 };
      await book.begin(`uid:${UID}`, { before: before.state, intended: planOperation(LAYOUT, before, operation).after });
      if (landed) assert.equal((await runLoyaltyCardSession(card, LAYOUT, operation)).status, 'committed');
      await ledger.close();
      ledger = await openLedger();
      start();
      assert.deepEqual(controller!.uncertainCards, [`uid:${UID}`], 'the unfinished take-back is an uncertain card session');
      await tap(card, transaction(100, 'refund').context);
      const statuses = take().map((p) => [p.status, p.settled ?? '', p.compensation ?? false]);
      assert.deepEqual(statuses, landed
        ? [['settled', 'committed', true], ['committed', '', false]]
        : [['settled', 'not-committed', true], ['compensated', '', true], ['committed', '', false]]);
      assert.deepEqual([stateOf(card, LAYOUT).balance, stateOf(card, LAYOUT).points], [10_000, 0], 'taken back once');
      assert.equal(ledger.get(UID)?.owed, undefined);
    });
  }

  it('a v1 card is upgraded at its tap, then recorded; its old dump is a rollback', async () => {
    const v1 = defineLayout({ programId: 42, purses: ['points', 'balance'] });
    const card = new VirtualMifareCard({ uid: UID });
    assert.equal((await runLoyaltyIssue(card, v1, { memberId: 3, points: 10, balance: 500 })).status, 'committed');
    const dump = card.toImage();
    start();
    await tap(card, transaction(100, 'refund').context); // read only: the upgrade alone
    const [p] = take();
    assert.deepEqual([p.status, p.operation, p.repaired, p.ledger?.status, p.ledger?.recorded], ['committed', 'inquiry', true, 'unknown', true]);
    const decoded = decodedOf(card, LAYOUT);
    assert.equal(decoded.kind === 'ok' && decoded.format.version === 2 && !decoded.format.needsUpgrade, true);
    await tap(VirtualMifareCard.fromImage(dump));
    assert.deepEqual(take().map((r) => [r.status, r.ledger?.reason]), [['rollback', 'version-1']]);
  });

  it('the refuse policy: an unknown card is refused and not written', async () => {
    const refusing = parseLoyaltyConfig({ ...CONFIG, unknownCards: 'refuse' }, { key: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' });
    const stranger = new VirtualMifareCard({ uid: '0A0B0C0D' });
    assert.equal((await runLoyaltyIssue(stranger, LAYOUT, { memberId: 1, balance: 900 })).status, 'committed');
    await ledger.close();
    ledger = await ShadowLedger.open({ file: path.join(dir, 'ledger.jsonl'), programId: 42, keys: LAYOUT.keys!, unknownCards: 'refuse' });
    start(refusing);
    const image = stranger.toImage();
    await tap(stranger);
    const [p] = take();
    assert.deepEqual([p.status, p.error?.code, p.ledger?.status], ['refused', 'unknown-card', 'unknown']);
    assert.deepEqual(stranger.toImage(), image);
  });
});
